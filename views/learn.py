"""Learn: the course's concepts worked out step by step on the student's own network.

One lesson at a time (the picker, also ``?lesson=`` in the URL), so each rerun computes
only what is on screen and each lesson fits a 1024×768 projector.
"""

import streamlit as st

from cnnviz.ui.learn import lessons
from cnnviz.ui.learn.network import lesson_network

st.title("Learn", help="The course's concepts worked out with the numbers of your own network.")
lesson = lessons.pick()
st.subheader(lesson.title)
net = lesson_network() if lesson.needs_network else None
if lesson.needs_network and net is None:
    st.stop()
lesson.render(net)
lessons.links(lesson)
