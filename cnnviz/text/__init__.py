"""What a visitor typed or named, shown as text: in pages, charts and exports.

One rule, one module (``cnnviz.text.escape``): person and class names, run titles,
design names, dataset and class folder names, layer names and presentation texts are
passed through ``for_markdown`` (Streamlit's Markdown: bodies, labels, captions),
``for_plotly`` (the HTML subset Plotly renders in titles, ticks, hover text and legends)
or ``for_html`` (the exported presentation) before they reach a screen.
"""
