"""Comparing runs: what changed (settings, layers), overlays, experiments, curve readings.

No streamlit here: the Runs page (``cnnviz.ui.runs``), the figures
(``cnnviz.plots.compare``) and the command line (``cnnviz compare``, ``cnnviz
experiment``) all build on these modules.
"""
