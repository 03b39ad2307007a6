"""Predict, then reveal, seen by a student: the teacher's question at the top of every page.

``prompt()`` (called for every page, above it) polls the class's question every
``POLL_S`` in an ``st.fragment`` with one small SQLite read (the question and this
student's own answer). While it is open the student answers (and may change the
answer until the time is up); then they see their own answer only, never anyone
else's; once revealed, the right answer as the app worked it out, and whether they
were right. An experiment question shows its curves arriving while the teacher's
experiment trains. The teacher's side is ``cnnviz.ui.classroom.ask``.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom.question_kinds import QuestionError, QuestionKind
from cnnviz.classroom.questions import QState, Question, Questions
from cnnviz.text.escape import for_markdown
from cnnviz.ui import figures
from cnnviz.ui.classroom import session

# bench/classroom.py, 20 students, a question open: edit p95 2.28 s at 2 s, 1.64 s at 3 s
POLL_S = 3.0
HIDDEN = "cnnviz.class.question_hidden"  # id of a revealed question this session put away
K = "class.question."
HINTS = {
    QuestionKind.SHAPE: "channels × height × width, e.g. 6×62×62",
    QuestionKind.PARAMS: "a whole number, e.g. 168",
    QuestionKind.NUMBER: "a number",
}


def questions() -> Questions:
    return Questions(session.room().db)


def prompt() -> None:
    """The class's question for a signed-in student, at the top of the page (else nothing)."""
    if not session.enabled():
        return
    person = st.session_state.get(session.ME)
    if person is None or person.is_teacher:
        return
    st.fragment(_prompt_body, run_every=POLL_S)()


def _prompt_body() -> None:
    person = st.session_state.get(session.ME)
    if person is None:
        return
    q, mine = questions().latest_for(person.id)  # the one read of each poll
    if q is None or st.session_state.get(HIDDEN) == q.id:
        return
    with st.container(border=True, key="class_question"):
        st.markdown(f":material/quiz: **Your teacher asks:** {for_markdown(q.text)}")
        if q.taking_answers():
            _answer_form(q, mine)
        elif q.state is QState.REVEALED:
            _revealed(q, mine)
        else:
            st.caption(
                (f"Your answer: **{for_markdown(mine)}**. " if mine else "You did not answer. ")
                + "Time is up: the answer comes when your teacher reveals it."
            )
            if q.state is QState.REVEALING:
                experiment_progress(q)


def _answer_form(q: Question, mine: str | None) -> None:
    left = q.seconds_left()
    st.caption(
        f":material/timer: about **{left} s** left"
        + (
            f" · your answer: **{for_markdown(mine)}** (you can change it until the time is up)"
            if mine
            else ""
        )
    )
    with st.form(K + f"form.{q.id}", border=False):
        if q.options:
            value = st.radio(
                "Your answer",
                q.options,
                index=None,
                key=K + f"pick.{q.id}",
                horizontal=True,
                format_func=for_markdown,  # the teacher's options, shown as typed
            )
        else:
            value = st.text_input(
                "Your answer", key=K + f"text.{q.id}", placeholder=HINTS.get(q.kind, "")
            )
        sent = st.form_submit_button("Answer", icon=":material/send:", type="primary")
    if sent:
        _send(q, value)


def _send(q: Question, value: object) -> None:
    person = session.me()  # still signed in, still in the class
    if person is None:
        st.error("Sign in again to answer.")
        return
    try:
        stored = questions().answer(q.id, person, "" if value is None else str(value))
    except QuestionError as e:
        st.error(for_markdown(e))
        return
    st.success(f"Answer taken: **{for_markdown(stored)}**.")


def _revealed(q: Question, mine: str | None) -> None:
    right = q.right
    assert right is not None
    st.markdown(f"**The right answer: {for_markdown(right.shown)}**")
    for line in right.working:
        st.caption(for_markdown(line))
    if mine is None:
        st.info("You did not answer this one.")
    elif right.is_right(mine):
        st.success(f"You were right: {for_markdown(mine)}.", icon=":material/check_circle:")
    else:
        st.warning(f"Not this time: you answered {for_markdown(mine)}.", icon=":material/cancel:")
    if q.kind is QuestionKind.EXPERIMENT:
        experiment_progress(q)
    if st.button("Hide", key=K + f"hide.{q.id}", icon=":material/close:"):
        st.session_state[HIDDEN] = q.id
        st.rerun()


def experiment_progress(q: Question) -> None:
    """The teacher's experiment for this question: where it is, and its curves as they come."""
    from cnnviz.plots.questions import curves_figure
    from cnnviz.ui import submit as submit_ui

    exp = submit_ui.gate().experiment(q.experiment)
    if exp is None:
        if q.state is QState.REVEALING:
            st.caption("The experiment is starting.")
        return
    q = questions().settle_experiment(q, exp)  # whoever polls first after it ends reveals it
    series = [
        (f"{r.arm} (seed {r.seed})", [e.get("val_accuracy") or 0.0 for e in r.epochs])
        for r in exp.results
    ]
    job = exp.current
    if job is not None and not exp.done:
        job.touch()
        p = job.progress()
        now = [e.get("val_accuracy") or 0.0 for e in job.epoch_metrics()]
        arm = exp.arms[min(len(exp.results) // max(len(exp.seeds), 1), len(exp.arms) - 1)].label
        if now:
            series.append((f"{arm} (training)", now))
        st.caption(
            f"Training {len(exp.results) + 1} of {exp.total}: {for_markdown(arm)}, "
            f"epoch {p.epoch}/{p.epochs}"
        )
    elif not exp.done:
        st.caption("The experiment waits for a free training place.")
    if series:
        figures.show(curves_figure(series), name="question-curves", key=K + f"curves.{q.id}")


__all__ = ["POLL_S", "experiment_progress", "prompt", "questions"]
