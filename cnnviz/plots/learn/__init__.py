"""Plotly figures for the Learn page's lessons (no streamlit)."""
