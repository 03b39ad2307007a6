"""Plotly figure builders (no streamlit): design diagram, data, training curves, inspection."""
