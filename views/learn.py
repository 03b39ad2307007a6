"""Learn: the course's concepts worked out step by step on the student's own network."""

import streamlit as st

st.title("Learn")
st.caption(
    "The course's questions answered with numbers from your own network: how a convolution "
    "and max pooling compute each output, what is linear and what is not, how a Linear layer "
    "multiplies, how gradient descent finds a minimum, and how the DataLoader builds mini-batches."
)
