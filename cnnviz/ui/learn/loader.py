"""Lesson 6: Dataset, DataLoader, mini-batch: one item, one epoch cut into iterations."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
import torch

from cnnviz.data.catalog import DATASETS, DEFAULT_DATASET
from cnnviz.data.pipeline import fit_normalization, iterations_per_epoch, split_train_val
from cnnviz.learn.loader import Item, batch_shape, epoch_batches, first_item
from cnnviz.plots.learn.toy import epoch_figure
from cnnviz.text.escape import for_markdown
from cnnviz.ui.figures import show
from cnnviz.ui.learn.network import Net

P = "learn.loader."


def _names() -> list[str]:
    return list(DATASETS)


def _n_max(name: str) -> int:
    return DATASETS[name].n_train or 10_000


def _facts(bundle: object, name: str, n: int, val: int) -> tuple[int, Item | None]:
    """(training items after the split, X and y of item 0), cached per choice."""
    key = (name, n, val, len(bundle.train_y))
    held = st.session_state.get(P + "facts")
    if held is None or held[0] != key:
        idx = torch.arange(len(bundle.train_y))
        tr, _, _, _ = split_train_val(idx, bundle.train_y, val / 100, 0)
        norm = fit_normalization("standardize", bundle.train_x[tr]) if len(tr) else None
        held = (key, len(tr), first_item(bundle, norm) if norm is not None else None)
        st.session_state[P + "facts"] = held
    return held[1], held[2]


@dataclass(frozen=True)
class RunCounts:
    """What the named run's DataLoader was given: the numbers this lesson starts from."""

    dataset: str
    items: int  # training set before the validation split
    val_pct: int
    batch: int
    train_items: int  # after the split: what the DataLoader shuffles and cuts
    size: int | None


def run_counts(net: Net | None) -> RunCounts | None:
    """The counts of the run (or this session's training) the lessons work on; None for the
    design with random weights or a run whose config cannot be read."""
    if net is None or not net.trained or net.run_dir is None:
        return None
    from cnnviz.train.store import RunError
    from cnnviz.ui.classroom import run_access

    try:
        run = run_access.open_run(net.run_dir)
        ds, cfg = run.dataset, run.train_config
        train, val = int(ds.get("train_size") or 0), int(ds.get("val_size") or 0)
        size = (list(ds.get("size") or []) or [None])[0]
        return RunCounts(
            str(ds.get("name") or ""), train + val, round(100 * float(cfg.get("val_fraction", 0.1))),
            int(cfg.get("batch_size", 64)), train, int(size) if size else None,
        )  # fmt: skip
    except (RunError, OSError, KeyError, TypeError, ValueError):
        return None


def _start_from(counts: RunCounts | None, key: str, names: list[str], n_max: dict) -> None:
    """Set the inputs to the run's numbers once per network (the user may change them after)."""
    if counts is None or st.session_state.get(P + "for") == key or counts.dataset not in names:
        return
    st.session_state[P + "for"] = key
    st.session_state[P + "name"] = counts.dataset
    st.session_state[P + "n"] = max(10, min(n_max[counts.dataset], counts.items))
    st.session_state[P + "batch"] = max(1, min(1024, counts.batch))
    st.session_state[P + "val"] = max(0, min(50, counts.val_pct))


def loader_lesson(net: Net | None) -> None:
    from cnnviz.ui.train.data import load_choice

    names = _names()
    default = net.dataset if net is not None and net.dataset in names else DEFAULT_DATASET
    if st.session_state.get(P + "name") not in names:
        st.session_state[P + "name"] = default
    counts = run_counts(net)
    _start_from(counts, net.key if net else "", names, {k: _n_max(k) for k in names})
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    name = c1.selectbox("Dataset", names, format_func=lambda n: DATASETS[n].title, key=P + "name")
    n_max = _n_max(name)
    if P + "n" not in st.session_state:
        st.session_state[P + "n"] = min(n_max, 2_000)
    n = int(c2.number_input("Training items", 10, n_max, step=500, key=P + "n"))
    st.session_state.setdefault(P + "batch", 64)
    st.session_state.setdefault(P + "val", 10)
    batch = int(c3.number_input("Mini-batch size B", 1, 1024, step=16, key=P + "batch"))
    val = int(c4.number_input("Validation %", 0, 50, step=5, key=P + "val"))
    same = counts is not None and (counts.dataset, counts.items, counts.val_pct, counts.batch) == (
        name,
        n,
        val,
        batch,
    )
    size = counts.size if same else None
    with st.spinner("Loading the Dataset…"):
        bundle, message = load_choice(name, size=size, n_train=None if n >= n_max else n)
    if bundle is None:
        st.warning(
            f"{for_markdown(message)} Choose Shapes or a toy set, or download it on the Train page."
        )
        st.page_link("views/train.py", label="Train: data", icon=":material/monitoring:")
        return
    n_train, item = _facts(bundle, name, n, val)
    if same and counts is not None:
        n_train = counts.train_items  # what the run's DataLoader was given
        st.caption(
            f"The numbers of the network above: {counts.items:,} training images, {val} % held out "
            f"for validation, so its DataLoader shuffled **{n_train:,}** items in mini-batches of "
            f"**{batch}**. Change them to see another DataLoader."
        )
    if item is not None:
        shape = list(item.shape)
        st.markdown(
            f"`X, y = train_dataset[0]` → X is a tensor of shape **{shape}**, dtype {item.dtype}, "
            f"values {item.low:g}…{item.high:g}; after ToTensor and Normalize (mean/std of the training "
            f"split) it is {item.norm_dtype}, {item.norm_low:.2f}…{item.norm_high:.2f}. "
            f"y = **{item.label}** (“{for_markdown(item.class_name)}”)."
        )
    if n_train == 0:
        st.warning("No training items are left after the validation split: lower the validation %.")
        return
    ipe = iterations_per_epoch(n_train, batch)
    batches = epoch_batches(n_train, batch, seed=0)
    current = st.slider("Iteration", 1, ipe, 1, key=P + "iteration") - 1
    once = torch.equal(torch.sort(torch.cat(batches)).values, torch.arange(n_train))
    show(
        epoch_figure(n_train, batches, current, height=220),
        key=P + "epoch",
        config={"displayModeBar": False},
    )
    picked = batches[current]
    shown = ", ".join(str(int(i)) for i in picked[:12]) + (", …" if len(picked) > 12 else "")
    st.markdown(
        f"The DataLoader shuffles the {n_train:,} training indices once per epoch and cuts them into "
        f"mini-batches: iterations per epoch = ⌈N / B⌉ = ⌈{n_train:,} / {batch}⌉ = **{ipe:,}**"
        f"{f' (the last one has {n_train - (ipe - 1) * batch})' if n_train % batch else ''}. "
        f"Iteration {current + 1} takes indices {shown} and stacks them into a tensor of shape "
        f"**{batch_shape(tuple(bundle.shape), len(picked))}**. "
        f"{'Every index is drawn exactly once in the epoch ✓' if once else 'Some index repeats ✗'}: "
        f"one epoch = {ipe:,} iterations, each one forward pass, one backward pass and one optimizer step."
    )
