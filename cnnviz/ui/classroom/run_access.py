"""The pages' one door to saved runs: what this person may open, and opening it.

Every page that lists or opens runs comes through here (``tests/pages/test_run_access.py``
fails when a module under ``cnnviz/ui`` or ``views`` reaches the run store's
listing or opening functions any other way). The rule itself is
``cnnviz.classroom.run_access``; this module binds it to the signed-in person and
the classroom's owners, and says so on the page when a link names a run that
person may not open (which then opens nothing: no weights, no figure, no export).

- ``visible_runs()``: the runs for a picker, newest first.
- ``why_not(run_id)``: None, or the sentence to show (not there / not theirs).
- ``find(run_id)``, ``open_run(run)``, ``run_data(run)``, ``gradients(run)``: one run
  (its gradients file's records), refused with ``RunHidden`` (a ``RunError``) when not theirs.
- ``job_refusal(job)``: the same rule for a training job's weights (its run).
- ``link_run()`` / ``link_compare()``: the session's ``?run=`` / ``?compare=``, kept
  only when this person may open them; otherwise the page says why, once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from cnnviz.classroom.run_access import RunAccess, RunHidden
from cnnviz.data.cache import SharedCache
from cnnviz.text.escape import for_markdown
from cnnviz.train.gradients import GRADIENTS_FILE
from cnnviz.train.store import Run, RunInfo, files_stamp, list_runs, runs_root
from cnnviz.train.store import open_run as _open_run
from cnnviz.ui import state
from cnnviz.ui.classroom import session

if TYPE_CHECKING:
    from cnnviz.compare.runs import RunData

_NOTE = "cnnviz.run_access.notes"  # [(kind, text)] to show after the rerun that dropped a link
NOT_HERE = "There is no run called {id} on this server (it was deleted, or the link is from another server)."


def access() -> RunAccess:
    """The rule for the person of this session, with the classroom's owners as they are now."""
    if not session.enabled():
        return RunAccess(None, class_on=False)
    return RunAccess(session.me(), session.room().owned_runs(), class_on=True)


def visible_runs() -> list[RunInfo]:
    """Every run this person may open, newest first (everyone's outside class mode)."""
    return access().visible(list_runs())


def _exists(run_id: str) -> bool:
    """A folder of that name under the runs root (a name only: never a path)."""
    name = str(run_id or "")
    if not name or name.startswith(".") or "/" in name or "\\" in name or len(name) > 120:
        return False
    return (runs_root() / name).is_dir()


def why_not(run_id: str) -> str | None:
    """None when this person may open ``run_id``; else the sentence for the page."""
    if not _exists(run_id):
        return NOT_HERE.format(id=run_id)
    return access().why_not(run_id)


def find(run_id: str | None) -> RunInfo | None:
    """The listing line of ``run_id`` when this person may open it, else None."""
    if not run_id or why_not(run_id) is not None:
        return None
    return next((r for r in list_runs() if r.id == run_id), None)


def _run_id(run: RunInfo | Run | str | Path) -> str:
    return run.id if isinstance(run, RunInfo | Run) else Path(run).name


def open_run(run: RunInfo | Run | str | Path) -> Run:
    """The run, opened read-only; ``RunHidden`` when not this person's to open, ``RunError``
    (naming the run, never its folder) when it cannot be read."""
    rid = _run_id(run)
    reason = why_not(rid)
    if reason is not None:
        raise RunHidden(reason)
    return _open_run(runs_root() / rid)


def run_data(run: RunInfo | Run | str | Path) -> RunData:
    """Compare's reading of the run (cached by its files), behind the same check."""
    from cnnviz.compare.runs import load

    rid = _run_id(run)
    reason = why_not(rid)
    if reason is not None:
        raise RunHidden(reason)
    return load(runs_root() / rid)


# (run folder, the gradients file's stamp) -> its records, for every session
_GRADIENTS: SharedCache[list] = SharedCache(max_entries=16)


def gradients(run: RunInfo | Run | str | Path) -> list:
    """The run's gradients over time (``cnnviz.train.gradients.GradRecord``s, read once per
    change of the file), behind the same check; [] for a run trained before they were kept."""
    rid = _run_id(run)
    reason = why_not(rid)
    if reason is not None:
        raise RunHidden(reason)
    path = runs_root() / rid
    key = (str(path.resolve()), files_stamp(path, (GRADIENTS_FILE,)))
    return _GRADIENTS.get(key, lambda: _open_run(path).gradient_records())


def job_refusal(job: Any) -> str | None:
    """None when this person may see the weights of ``job`` (a training job): its run's rule,
    judged by the queue's owner while the run's row is not written yet."""
    if not session.enabled():
        return None
    run_id = str(getattr(job, "run_id", "") or "")
    from cnnviz.ui.classroom.jobs import entry

    e = entry(getattr(job, "id", None))
    fallback = {"owner": e.owner, "owner_name": e.owner_name, "shared": False} if e else None
    return access().why_not(run_id, fallback)


def _drop(kind: str, text: str, *, compare: list[str] | None = None) -> None:
    st.session_state.setdefault(_NOTE, []).append((kind, text))
    if compare is None:
        state.set_run_id(None)
    else:
        state.set_compare_ids(compare)
    st.rerun()  # the sidebar, drawn before the page, stops naming the dropped run


def show_note() -> None:
    """Why a link's runs were dropped, once, above the page."""
    for kind, text in st.session_state.pop(_NOTE, []):
        if kind == "hidden":
            st.error(for_markdown(text), icon=":material/lock:")
        else:
            st.warning(for_markdown(text), icon=":material/search_off:")


def link_run() -> str | None:
    """The session's open run (``?run=``) when this person may open it. A run that is not
    there, or not theirs, is dropped from the session and the URL, and the page says why."""
    show_note()
    wanted = state.run_id()
    if not wanted:
        return None
    if not _exists(wanted):
        _drop("missing", NOT_HERE.format(id=wanted))
    reason = access().why_not(wanted)
    if reason is not None:
        _drop("hidden", reason)
    return wanted


def link_compare() -> list[str]:
    """The session's runs to compare (``?compare=``), each one this person may open."""
    show_note()
    wanted = state.compare_ids()
    if not wanted:
        return []
    gate = access()
    kept = [r for r in wanted if _exists(r) and gate.allows(r)]
    if kept != wanted:
        hidden = [r for r in wanted if _exists(r) and not gate.allows(r)]
        if hidden:
            _drop(
                "hidden",
                f"{len(hidden)} of the runs in this comparison are not yours to open: "
                f"{gate.why_not(hidden[0])}",
                compare=kept,
            )
        _drop(
            "missing",
            NOT_HERE.format(id=next(r for r in wanted if r not in kept)),
            compare=kept,
        )
    return kept


__all__ = [
    "NOT_HERE",
    "access",
    "find",
    "gradients",
    "job_refusal",
    "link_compare",
    "link_run",
    "open_run",
    "run_data",
    "show_note",
    "visible_runs",
    "why_not",
]
