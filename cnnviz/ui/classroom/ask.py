"""Predict, then reveal, on the Teacher page: ask the class, watch the answers, reveal, download.

``questions_panel()``: the form to ask (each kind answered by the app itself: a shape
or parameter count or linearity of a layer of the design sent to the class, which of
an experiment's variants reaches the higher test accuracy, or the teacher's own
multiple-choice or number question), then the question live (an ``st.fragment``,
every second): the time left, how many answered, the spread of answers as a bar chart
for the projector (counts, no names), *Close now*, *Reveal* (an experiment question:
its cost first, then it trains through the submission gate as the teacher's own
experiment), *End*, and the CSV of every round.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom import question_kinds as qk
from cnnviz.classroom.question_kinds import QuestionError, QuestionKind
from cnnviz.classroom.questions import QState, Question
from cnnviz.classroom.submit import Cost
from cnnviz.compare.experiments import TITLES as EXPERIMENT_TITLES
from cnnviz.plots.questions import answers_figure
from cnnviz.text.escape import for_markdown
from cnnviz.ui import figures
from cnnviz.ui import submit as submit_ui
from cnnviz.ui.classroom import session
from cnnviz.ui.classroom.questions import experiment_progress, questions

K = "teacher.q."
PROBLEM = K + "problem"  # why the last Reveal / Close did not happen, shown once
DEFAULT_EPOCHS, DEFAULT_IMAGES, DEFAULT_TEST, DEFAULT_REPEATS = 2, 500, 200, 2


def questions_panel() -> None:
    # a toggle, not an expander: it stays open when a message above it comes or goes
    if st.toggle("Ask the class a question", key=K + "open"):
        with st.container(border=True):
            _ask_form()
    st.fragment(_live, run_every=1.0)()
    csv = questions().csv_text()
    st.download_button(
        "Download who answered what (CSV)",
        csv,
        file_name="class-answers.csv",
        mime="text/csv",
        icon=":material/download:",
        key=K + "csv",
        disabled=csv.count("\n") < 2,
    )


def _layer_setup(kind: QuestionKind) -> tuple[str, qk.Right | None, tuple[str, ...], dict] | None:
    sent = session.room().latest_design()
    if sent is None:
        st.info(
            "Send a design to the class first (*Send to class*, above): this question is about it."
        )
        return None
    rows = qk.design_layers(sent.spec)
    if kind is QuestionKind.PARAMS:
        rows = [r for r in rows if r["params"]] or rows
    if not rows:
        st.info("The sent design has no layer with a shape: send a working design.")
        return None
    row = st.selectbox(
        f"Layer of the sent design ({for_markdown(sent.title or 'untitled')})",
        rows,
        format_func=qk.layer_title,
        key=K + f"layer.{kind}",
    )
    name = row["name"]
    text = {
        QuestionKind.SHAPE: f"What is the output shape of layer {row['label']}, {name}? "
        "(channels × height × width)",
        QuestionKind.PARAMS: f"How many parameters does layer {row['label']}, {name}, have?",
        QuestionKind.LINEAR: f"Is layer {row['label']}, {name}, linear, affine or not linear?",
    }[kind]
    work = {QuestionKind.SHAPE: qk.shape_right, QuestionKind.PARAMS: qk.params_right,
            QuestionKind.LINEAR: qk.linear_right}[kind]  # fmt: skip
    options = qk.LINEAR_OPTIONS if kind is QuestionKind.LINEAR else ()
    return text, work(sent.spec, row["index"]), options, {"layer": row["index"], "design": sent.id}


def _experiment_setup() -> tuple[str, None, tuple[str, ...], dict] | None:
    sent = session.room().latest_design()
    if sent is None:
        st.info("Send a design to the class first (*Send to class*, above): the reveal trains it.")
        return None
    c1, c2, c3, c4 = st.columns(4)
    kind = c1.selectbox("Experiment", qk.EXPERIMENT_KINDS, key=K + "exp.kind",
                        format_func=lambda k: EXPERIMENT_TITLES[k])  # fmt: skip
    epochs = c2.number_input("Epochs", 1, 20, DEFAULT_EPOCHS, key=K + "exp.epochs")
    images = c3.number_input("Training images (Shapes)", 50, 10_000, DEFAULT_IMAGES, step=50,
                             key=K + "exp.images")  # fmt: skip
    repeats = c4.number_input("Seeds per variant", 1, 5, DEFAULT_REPEATS, key=K + "exp.repeats")
    config = qk.experiment_config(sent.settings, epochs=int(epochs))
    options = qk.experiment_options(kind, sent.spec, config)
    text = f"Which reaches the higher test accuracy: {' or '.join(options)}?"
    setup = {"experiment": kind, "epochs": int(epochs), "images": int(images),
             "repeats": int(repeats), "design": sent.id, "arms": len(options)}  # fmt: skip
    st.caption(cost_words(setup))
    return text, None, options, setup


def cost_words(setup: dict) -> str:
    """What the reveal of an experiment question trains, said before it starts."""
    n = int(setup["arms"]) * int(setup["repeats"])
    cost = Cost(n, n * int(setup["epochs"]))
    return f"The reveal trains the sent design on {int(setup['images'])} Shapes images. " + (
        cost.words().replace("your one training place", "one training place in the class queue")
    )


def _own_setup(kind: QuestionKind) -> tuple[str, qk.Right, tuple[str, ...], dict] | None:
    text = st.text_input("Question", key=K + f"own.text.{kind}")
    if kind is QuestionKind.CHOICE:
        raw = st.text_area("Options, one per line", key=K + "own.options")
        options = tuple(dict.fromkeys(o.strip() for o in raw.splitlines() if o.strip()))
        if len(options) < 2:
            st.caption("Type at least two options.")
            return None
        right = st.selectbox("The right option", options, key=K + "own.right")
        return text, qk.choice_right(options, right), options, {}
    c1, c2 = st.columns(2)
    value = c1.number_input("The right number", value=0.0, format="%g", key=K + "own.value")
    tol = c2.number_input(
        "Counts as right within ±", 0.0, value=0.0, format="%g", key=K + "own.tol"
    )
    return text, qk.number_right(float(value), float(tol)), (), {}


def _ask_form() -> None:
    kind = QuestionKind(
        st.selectbox("Kind", list(QuestionKind), format_func=lambda k: qk.TITLES[k], key=K + "kind")
    )
    try:
        if kind in (QuestionKind.SHAPE, QuestionKind.PARAMS, QuestionKind.LINEAR):
            setup = _layer_setup(kind)
        elif kind is QuestionKind.EXPERIMENT:
            setup = _experiment_setup()
        else:
            setup = _own_setup(kind)
    except QuestionError as e:
        st.warning(for_markdown(e))
        return
    if setup is None:
        return
    text, right, options, extra = setup
    if kind not in (QuestionKind.CHOICE, QuestionKind.NUMBER):
        text = st.text_input("Question (you may reword it)", text, key=K + f"text.{kind}")
    seconds = st.number_input("Seconds to answer", 5, 3600, 60, step=5, key=K + "seconds")
    if st.button("Ask the class", icon=":material/campaign:", type="primary", key=K + "ask"):
        try:
            questions().ask(session.me(), kind, text, seconds=float(seconds), right=right,
                            options=options, setup=extra)  # fmt: skip
        except QuestionError as e:
            st.error(for_markdown(e))
        else:
            st.success("Asked: every student sees it at the top of their page.")


def _live() -> None:
    q = questions().current()
    if q is None:
        st.caption("No question is open. Ask one above: the answers' spread shows here.")
        return
    students = len(session.room().students())
    counts = questions().counts(q.id)
    answered = sum(n for _, n in counts)
    st.markdown(f"**Question {q.id}:** {for_markdown(q.text)}")
    status = (
        f"about {q.seconds_left()} s left" if q.taking_answers()
        else {QState.REVEALING: "closed: the experiment trains", QState.REVEALED: "revealed"}.get(
            q.state, "time is up")
    )  # fmt: skip
    st.caption(f"{answered} of {students} students answered · {status}")
    shown = q.shown
    figures.show(
        answers_figure(counts, options=q.options, is_right=q.right.is_right if shown else None),
        name="class-answers",
        key=K + "chart",
    )
    if shown:
        st.markdown(f"**The right answer: {for_markdown(q.right.shown)}** "
                    f"({questions().right_count(q)} of {answered} right)")  # fmt: skip
        for line in q.right.working:
            st.caption(for_markdown(line))
    if q.kind is QuestionKind.EXPERIMENT and q.state in (QState.REVEALING, QState.REVEALED):
        experiment_progress(q)
    if q.kind is QuestionKind.EXPERIMENT and q.state is QState.OPEN:
        st.caption(cost_words(q.setup))
    if problem := st.session_state.pop(PROBLEM, None):
        st.error(for_markdown(problem))
    row = st.container(horizontal=True)
    if q.taking_answers():
        row.button("Close now", key=K + "close", icon=":material/timer_off:",
                   on_click=_act, args=(q.id, "close"))  # fmt: skip
    if q.state is QState.OPEN:
        row.button("Reveal", key=K + "reveal", type="primary", icon=":material/visibility:",
                   on_click=_reveal, args=(q,))  # fmt: skip
    row.button("End (off students' pages)", key=K + "end", icon=":material/close:",
               on_click=_act, args=(q.id, "end"))  # fmt: skip


def _act(qid: int, what: str) -> None:
    try:
        getattr(questions(), what)(qid, session.me())
    except QuestionError as e:
        st.session_state[PROBLEM] = str(e)


def _reveal(q: Question) -> None:
    """A button's callback: reveal, or start the experiment that answers it."""
    try:
        _reveal_or_train(q)
    except QuestionError as e:
        st.session_state[PROBLEM] = str(e)


def _reveal_or_train(q: Question) -> None:
    me = session.me()
    if q.kind is not QuestionKind.EXPERIMENT:
        questions().reveal(q.id, me)
        return
    sent = session.room().latest_design()
    s = q.setup
    if sent is None or sent.id != s.get("design"):
        raise QuestionError(
            "The design this question is about is no longer the sent one: ask it again."
        )
    config = qk.experiment_config(sent.settings, epochs=int(s["epochs"]))
    data = qk.experiment_data(sent.spec, n_train=int(s["images"]), n_test=DEFAULT_TEST)
    done, message = submit_ui.start_experiment(s["experiment"], sent.spec, config, data,
                                               int(s["repeats"]))  # fmt: skip
    if done is None:
        raise QuestionError(message or "The experiment could not start.")
    questions().revealing(q.id, me, done.id)


__all__ = ["questions_panel"]
