"""Picking 2 to 6 runs to compare (kept in the session and in ``?compare=``).

An experiment's runs are folded into one line ("Experiment · Normalization · Adam, lr
0.001 · 9 runs"): picking it picks all its runs. Unfolded (or once picked), each run is
named by its arm and seed ("normalization: standardize · seed 1 · Adam, lr 0.001"), so
the arms of two experiments never share a name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from cnnviz.train.store import RunInfo
from cnnviz.ui import state

KEY = "runs.compare"
UNFOLD = KEY + ".unfold"
MAX_PICK = 6
GROUP = "experiment:"  # an option that stands for an experiment's runs


@dataclass(frozen=True)
class Group:
    id: str
    title: str
    runs: tuple[str, ...]  # the run ids, visible to this person
    arm_of: dict  # run id -> "normalization: standardize · seed 1 · Adam, lr 0.001"


def experiment_groups(runs: list[RunInfo]) -> list[Group]:
    """The saved experiments whose runs are among ``runs``, newest first."""
    from cnnviz.compare.experiments import TITLES, ExperimentKind
    from cnnviz.compare.runner import manifests
    from cnnviz.train.store import runs_root

    here = {r.id for r in runs}
    out, taken = [], set()
    for m in manifests(runs_root()):
        kind = str(m.get("kind", "experiment"))
        setting = str(m.get("setting") or "")
        arm_of = {}
        for r in m.get("runs", []):
            rid = Path(str(r.get("run_dir", ""))).name
            if rid in here and rid not in taken:
                words = [f"{kind}: {r.get('label', '?')}", f"seed {r.get('seed', '?')}", setting]
                arm_of[rid] = " · ".join(w for w in words if w)
        if not arm_of:
            continue
        taken |= set(arm_of)
        try:
            title = TITLES[ExperimentKind(kind)].split(":")[0]
        except ValueError:
            title = kind
        out.append(Group(str(m.get("id", "")), title, tuple(arm_of), arm_of))
    return out


def _name(r: RunInfo, arm: str | None = None) -> str:
    when = dt.datetime.fromtimestamp(r.created).strftime("%m-%d %H:%M")
    acc = "" if r.test_accuracy is None else f" · {100 * float(r.test_accuracy):.1f}%"
    problem = " · damaged" if r.problem else ""
    # the folder's short id keeps every name unique (the widget tells options apart by name)
    if arm:
        return f"{arm}{acc}{problem} · {r.id[-6:]}"
    return f"{r.label or 'run'} · {r.dataset or '?'} · {when}{acc}{problem} · {r.id[-6:]}"


def _group_name(g: Group, by_id: dict[str, RunInfo]) -> str:
    first = by_id[g.runs[0]]
    when = dt.datetime.fromtimestamp(first.created).strftime("%m-%d %H:%M")
    setting = next(iter(g.arm_of.values())).split(" · ")[2:]
    extra = f" · {setting[0]}" if setting else ""
    return f"Experiment · {g.title}{extra} · {len(g.runs)} runs · {when}"


def compare_picker(runs: list[RunInfo]) -> list[str]:
    """The multiselect; returns the chosen run ids (an experiment's may be more than six)."""
    by_id = {r.id: r for r in runs}
    groups = experiment_groups(runs)
    arm_of = {rid: arm for g in groups for rid, arm in g.arm_of.items()}
    wanted = [i for i in state.compare_ids() if i in by_id]
    unfold = bool(groups) and st.toggle(
        "Each experiment run on its own",
        key=UNFOLD,
        help="Off: an experiment's runs are one line; picking it compares them all.",
    )
    tokens = {GROUP + g.id: g for g in groups}
    options = ([] if unfold else list(tokens)) + [
        r.id for r in runs if r.id not in arm_of or unfold or r.id in wanted
    ]
    if st.session_state.get(KEY + ".from") != wanted:  # set from outside (URL, an experiment)
        st.session_state[KEY] = wanted
        st.session_state[KEY + ".from"] = wanted
    picked = st.multiselect(
        "Compare runs (pick 2 to 6)",
        options,
        key=KEY,
        format_func=lambda i: (
            _group_name(tokens[i], by_id) if i in tokens else _name(by_id[i], arm_of.get(i))
        ),
        placeholder="Choose two or more runs, or an experiment, to see them side by side",
        help="Overlaid curves, what changed (settings and layers), per-class accuracy and "
        "confusion matrices of the runs you pick.",
    )
    chosen: list[str] = []
    for i in picked:  # an experiment's line stands for all its runs
        for rid in tokens[i].runs if i in tokens else (i,):
            if rid not in chosen:
                chosen.append(rid)
    if len(chosen) > MAX_PICK and chosen != wanted and not any(i in tokens for i in picked):
        st.warning(f"At most {MAX_PICK} runs fit side by side: the first {MAX_PICK} are shown.")
        chosen = chosen[:MAX_PICK]
    if chosen != wanted:
        state.set_compare_ids(chosen)
        if any(i in tokens for i in picked):
            st.rerun()  # the experiment's line becomes its runs' lines
        st.session_state[KEY + ".from"] = chosen
    if len(chosen) == 1:
        st.caption("Pick one more run to compare.")
    return chosen
