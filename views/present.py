"""Present: a finished run laid out in the course's sections, exported as one offline HTML file."""

import streamlit as st

from cnnviz.text.escape import for_markdown, for_markdown_code
from cnnviz.ui.present import editor, export, picker

st.title("Present")
st.caption(
    "Your final project in the course's sections, filled from a finished run: add the goal, "
    "your words and who presents each part, hide or reorder sections, then export one HTML "
    "file (report, slides and print layout) that opens from a USB stick with no network."
)

run = picker.choose_run()
if run is None:
    st.stop()

made = export.content_for(run)
if made is None:  # a damaged run: the page said what is wrong
    st.stop()
content, rendered = made
st.markdown(
    f"**{for_markdown(content.headline)}** · {len(run.classes)} classes · run {for_markdown_code(run.id)}"
)
pres = editor.edit(run, content.blocks)
st.divider()
export.downloads(run, pres, rendered)
