"""The Learn page's computations: the course's concepts worked out on a real network (no streamlit)."""
