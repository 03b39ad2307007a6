"""The only streamlit-aware helpers shared by pages."""
