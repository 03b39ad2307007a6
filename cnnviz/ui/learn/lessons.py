"""The Learn page's lessons: their titles, where the same thing lives on the other pages,
and the picker (one lesson on screen at a time, named in the URL as ``?lesson=``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

PICK = "learn.lesson"


@dataclass(frozen=True)
class Lesson:
    name: str  # in the URL
    title: str
    short: str  # on the picker
    render: Callable[[Any], None]
    links: tuple[tuple[str, str, str], ...]  # (page, label, icon)
    needs_network: bool = True


def _lessons() -> list[Lesson]:
    from cnnviz.ui.learn import conv, descent, linear, loader, matrix, playground, pool

    design = ("views/design.py", ":material/architecture:")
    train = ("views/train.py", ":material/monitoring:")
    inspect = ("views/inspect.py", ":material/search_insights:")

    def link(page: tuple[str, str], label: str) -> tuple[str, str, str]:
        return (page[0], label, page[1])

    return [
        Lesson(
            "conv", "1 · Convolution, step by step", "1 Convolution", conv.conv_lesson,
            (link(design, "The output-size formula on Design"),
             link(inspect, "Every feature map and filter on Inspect")),
        ),
        Lesson(
            "pool", "2 · Max pooling, step by step", "2 Max pooling", pool.pool_lesson,
            (link(design, "Mult-adds per layer on Design"), link(inspect, "Pooled maps on Inspect")),
        ),
        Lesson(
            "linear", "3 · Linear or not?", "3 Linear or not", linear.linear_lesson,
            (link(design, "Add or remove ReLU on Design"), link(inspect, "What each layer outputs on Inspect")),
        ),
        Lesson(
            "matrix", "4 · A Linear layer is a matrix product", "4 Linear = matrix", matrix.matrix_lesson,
            (link(design, "Parameters of each Linear on Design"), link(train, "Train the weights")),
        ),
        Lesson(
            "minimum", "5 · Finding the minimum", "5 Minimum", descent.descent_lesson,
            (link(train, "The loss falling while training"), link(inspect, "The trained network on Inspect")),
        ),
        Lesson(
            "loader", "6 · Dataset, DataLoader, mini-batch", "6 DataLoader", loader.loader_lesson,
            (link(train, "The data and one mini-batch on Train"),),
        ),
        Lesson(
            "toy", "7 · Linear versus non-linear problems", "7 Linear vs non-linear", playground.playground_lesson,
            (link(design, "The mlp-2-3-3-1 preset on Design"), link(train, "Train it on a toy 2-D set")),
            needs_network=False,
        ),
    ]  # fmt: skip


def pick() -> Lesson:
    lessons = _lessons()
    names = [x.name for x in lessons]
    wanted = st.query_params.get("lesson")
    if st.session_state.get(PICK) not in names:
        st.session_state[PICK] = wanted if wanted in names else names[0]
    by_name = {x.name: x for x in lessons}
    choice = (
        st.segmented_control(
            "Lesson",
            names,
            format_func=lambda n: by_name[n].short,
            key=PICK,
            label_visibility="collapsed",
        )
        or names[0]
    )
    if st.query_params.get("lesson") != choice:
        st.query_params["lesson"] = choice
    return by_name[choice]


def links(lesson: Lesson) -> None:
    cols = st.columns(len(lesson.links) or 1)
    for col, (page, label, icon) in zip(cols, lesson.links, strict=False):
        col.page_link(page, label=label, icon=icon)
