"""Lesson 6: Dataset, DataLoader, mini-batch: one item, one epoch cut into iterations."""

from __future__ import annotations

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


def loader_lesson(net: Net | None) -> None:
    from cnnviz.ui.train.data import load_choice

    names = _names()
    default = net.dataset if net is not None and net.dataset in names else DEFAULT_DATASET
    if st.session_state.get(P + "name") not in names:
        st.session_state[P + "name"] = default
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    name = c1.selectbox("Dataset", names, format_func=lambda n: DATASETS[n].title, key=P + "name")
    info = DATASETS[name]
    n_max = info.n_train or 10_000
    n = int(c2.number_input("Training items", 10, n_max, min(n_max, 2_000), step=500, key=P + "n"))
    batch = int(c3.number_input("Mini-batch size B", 1, 1024, 64, step=16, key=P + "batch"))
    val = int(c4.number_input("Validation %", 0, 50, 10, step=5, key=P + "val"))
    with st.spinner("Loading the Dataset…"):
        bundle, message = load_choice(name, n_train=None if n >= n_max else n)
    if bundle is None:
        st.warning(
            f"{for_markdown(message)} Choose Shapes or a toy set, or download it on the Train page."
        )
        st.page_link("views/train.py", label="Train: data", icon=":material/monitoring:")
        return
    n_train, item = _facts(bundle, name, n, val)
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
