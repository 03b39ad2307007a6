"""Lesson 7: linear versus non-linear problems, a Linear stack trained live on toy 2-D points.

The trainer (``cnnviz.learn.playground.ToyTrainer``) lives in this session's state;
while it plays, a fragment re-runs every ``TICK_S`` seconds, trains ``STEPS_PER_TICK``
iterations and redraws the decision regions, until ``MAX_STEPS`` or Pause.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.data.toy import TOY_TITLES, TOY_WORDS, ToyKind, make_toy
from cnnviz.design.shapes import summarize
from cnnviz.learn.playground import (
    MAX_STEPS,
    PRESET,
    ToyTrainer,
    playground_spec,
    with_activation,
    without_activations,
)
from cnnviz.plots.learn.toy import toy_figure
from cnnviz.ui import state
from cnnviz.ui.figures import show

P = "learn.toy."
TRAINER = P + "trainer"
PLAY = P + "play"
TICK_S = 0.3
STEPS_PER_TICK = 10
N_POINTS = 300


def _network(kind: ToyKind, activation: str) -> tuple[dict, str]:
    base, own = playground_spec(state.get_spec())
    spec = without_activations(base) if activation == "none" else with_activation(base, activation)
    names = " → ".join(r["name"] for r in summarize(spec))
    where = "your design" if own else f"the {PRESET} preset"
    return spec, f"{where}: {names}"


def playground_lesson(_net: object = None) -> None:
    st.markdown(
        "Two classes of points in the plane. A network of **Linear** layers draws its decision "
        "boundary; without an activation between them it is one Linear layer, so the boundary is a "
        "straight line. XOR and circles need it to bend: add **ReLU**."
    )
    c1, c2, c3 = st.columns([2, 2, 1])
    kind = ToyKind(
        c1.selectbox(
            "Toy dataset",
            list(ToyKind),
            format_func=lambda k: TOY_TITLES[ToyKind(k)],
            index=1,
            key=P + "kind",
        )
    )
    activation = c2.segmented_control(
        "Activation between the Linear layers", ["none", "relu", "tanh"], default="relu", key=P + "act",
        format_func={"none": "none", "relu": "ReLU", "tanh": "Tanh"}.get,
    ) or "none"  # fmt: skip
    lr = c3.select_slider("Learning rate", [0.003, 0.01, 0.03, 0.1, 0.3], value=0.03, key=P + "lr")
    spec, words = _network(kind, activation)
    st.caption(f"{TOY_WORDS[kind]} Network: {words}; full-batch Adam, {N_POINTS} points.")
    settings = (kind, activation, lr, str(spec))
    trainer: ToyTrainer | None = st.session_state.get(TRAINER)
    if trainer is None or st.session_state.get(P + "settings") != settings:
        points, labels = make_toy(kind, N_POINTS, seed=0)
        trainer = ToyTrainer(
            spec, points, labels, lr=lr, seed=int(st.session_state.get(P + "seed", 0))
        )
        st.session_state[TRAINER] = trainer
        st.session_state[P + "settings"] = settings
        st.session_state[PLAY] = False
    b1, b2, b3, _ = st.columns([1, 1, 1, 3])
    playing = bool(st.session_state.get(PLAY))
    if b1.button(
        "Pause" if playing else "Train", key=P + "toggle", type="primary", disabled=trainer.done
    ):
        playing = not playing
        st.session_state[PLAY] = playing
    if b2.button("Step", key=P + "step", help=f"{STEPS_PER_TICK} iterations"):
        trainer.train(STEPS_PER_TICK)
    if b3.button("New start", key=P + "reset", help="Random weights again (another seed)"):
        st.session_state[P + "seed"] = int(st.session_state.get(P + "seed", 0)) + 1
        st.session_state.pop(TRAINER, None)
        st.rerun()
    st.fragment(run_every=TICK_S if playing else None)(_live)(playing)


def _live(playing: bool) -> None:
    trainer: ToyTrainer = st.session_state[TRAINER]
    if playing and not trainer.done:
        trainer.train(STEPS_PER_TICK)
        if trainer.done:  # stop the timer: a full rerun draws the page without it
            st.session_state[PLAY] = False
            st.rerun(scope="app")
    acc = trainer.accuracy() if trainer.steps else None
    show(
        toy_figure(trainer.points, trainer.labels, regions=trainer.regions(50).numpy(), height=340),
        key=P + "regions",
        config={"displayModeBar": False},
    )
    for restart in trainer.restarts:
        st.info(restart.words(), icon=":material/restart_alt:")
    if acc is None:
        st.markdown("Press **Train**: the colours are what the network predicts before training.")
        return
    st.markdown(
        f"Iteration **{trainer.steps}** of at most {MAX_STEPS} (seed {trainer.seed}) · "
        f"loss {trainer.loss:.3f} · accuracy **{100 * acc:.1f}%** — {trainer.verdict()}"
    )
