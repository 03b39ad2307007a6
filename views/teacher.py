"""Teacher (url teacher, the teacher only): the class live, the queue, the leaderboard, Send to class."""

from __future__ import annotations

import streamlit as st

from cnnviz.ui.classroom import ask, challenges, people, session, teacher
from cnnviz.ui.classroom.class_map import class_map

if not session.is_teacher():  # the page is only listed for the teacher; a typed URL gets this
    st.error("This page is the teacher's.")
    st.stop()

st.title("Teacher")
st.caption("Students join at this server's address.")
people.key_reveal()  # hidden until asked: this page is the projected one

st.header("The class now")
teacher.class_now()

with st.expander(
    "Queue: move, cancel, stop", expanded=False, icon=":material/format_list_numbered:"
):
    teacher.queue_controls()

with st.expander("People: who joined, remove a name, close joining", icon=":material/group:"):
    people.people_panel()

st.header("Leaderboard")
teacher.leaderboard()

st.header("Challenge")
challenges.teacher_section()

st.header("Class map")
class_map("teacher.map.")

st.header("Send to class")
teacher.send_design()

st.header("Predict, then reveal")
ask.questions_panel()

with st.expander("Limits for students' jobs", icon=":material/tune:"):
    teacher.limits_form()
