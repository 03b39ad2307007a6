"""Learn: the course's concepts worked out step by step on the student's own network.

One lesson at a time (the picker), so each rerun computes only what is on screen.
"""

import streamlit as st

from cnnviz.ui.learn import lessons
from cnnviz.ui.learn.network import lesson_network

st.title("Learn")
st.caption(
    "The course's questions answered with numbers from your own network: how a convolution "
    "and max pooling compute each output, what is linear and what is not, how a Linear layer "
    "multiplies, how gradient descent finds a minimum, and how the DataLoader builds mini-batches."
)
lesson = lessons.pick()
net = lesson_network() if lesson.needs_network else None
if lesson.needs_network and net is None:
    st.stop()
st.header(lesson.title)
lesson.render(net)
lessons.links(lesson)
