"""Session state shared by the pages, mirrored into the URL.

One place names every session key. The design lives in ``?net=`` (compact, see
``cnnviz.export.encode_spec``), the training job in ``?job=``, the opened run in
``?run=``: a copied link reopens the design, a refresh re-attaches to the job.
Streamlit clears query parameters when the user switches pages, so ``sync_url``
(called by app.py on every run) writes them back.
"""

from __future__ import annotations

import copy

import streamlit as st

from cnnviz.design.presets import DEFAULT_PRESET, PRESETS

SPEC = "cnnviz.design.spec"  # the current design: a spec dict
SPEC_VERSION = "cnnviz.spec_version"  # bumped on every replace: editors rebuild their widgets
PRESET = "cnnviz.preset"  # name of the preset the design started from ("" if custom)
JOB = "cnnviz.job_id"  # id of the training job this session watches
RUN = "cnnviz.run_id"  # id of the saved run the session has open (Inspect, Runs)
URL_ERROR = "cnnviz.url_error"  # message when ?net= could not be read
TEACHING = "cnnviz.teaching"  # presenter mode: bigger text, fewer controls
COMPARE = "cnnviz.compare"  # run ids open side by side on the Runs page (?compare=a,b)
CHANGE_OF = "cnnviz.change_of"  # (run id, time): Design and Train hold a change of that run


def init() -> None:
    """Fill the session from the URL (first run of a session) or from the defaults."""
    if SPEC in st.session_state:
        return
    from cnnviz.design.export import decode_spec, encode_spec  # lazy: keeps app start light

    st.session_state[PRESET] = DEFAULT_PRESET
    st.session_state[SPEC] = PRESETS[DEFAULT_PRESET].new_spec()
    st.session_state[SPEC_VERSION] = 0
    net = st.query_params.get("net")
    if net:
        try:
            spec = decode_spec(net)
            # A link to an unedited preset reopens as that preset (its training defaults too).
            same = [n for n, p in PRESETS.items() if encode_spec(p.spec) == encode_spec(spec)]
            st.session_state[PRESET] = same[0] if same else ""
            st.session_state[SPEC] = PRESETS[same[0]].new_spec() if same else spec
        except ValueError as e:
            st.session_state[URL_ERROR] = (
                f"The design in this link could not be read ({e}); showing the default."
            )
    for key, param in ((JOB, "job"), (RUN, "run")):
        if st.query_params.get(param):
            st.session_state[key] = st.query_params[param]
    if st.query_params.get("compare"):
        st.session_state[COMPARE] = [r for r in st.query_params["compare"].split(",") if r]


def get_spec() -> dict:
    """The current design (do not mutate: use set_spec)."""
    return st.session_state[SPEC]


def set_spec(spec: dict, *, preset: str | None = None, replace: bool = False) -> None:
    """Store a new design. ``replace=True`` tells editors to rebuild their widgets from it."""
    st.session_state[SPEC] = copy.deepcopy(spec)
    if preset is not None:
        st.session_state[PRESET] = preset
    if replace:
        st.session_state[SPEC_VERSION] = st.session_state.get(SPEC_VERSION, 0) + 1
    _write_url()


def spec_version() -> int:
    return st.session_state.get(SPEC_VERSION, 0)


def current_preset() -> str:
    return st.session_state.get(PRESET, "")


def job_id() -> str | None:
    return st.session_state.get(JOB)


def set_job_id(job_id: str | None) -> None:
    st.session_state[JOB] = job_id
    _write_url()


def run_id() -> str | None:
    return st.session_state.get(RUN)


def set_run_id(run_id: str | None) -> None:
    st.session_state[RUN] = run_id
    _write_url()


def compare_ids() -> list[str]:
    return list(st.session_state.get(COMPARE) or [])


def set_compare_ids(run_ids: list[str]) -> None:
    st.session_state[COMPARE] = list(run_ids)
    _write_url()


def change_of() -> tuple[str, float] | None:
    """The run that Design and Train hold a change of, and when it was loaded; None if none."""
    return st.session_state.get(CHANGE_OF)


def set_change_of(run_id: str | None, since: float = 0.0) -> None:
    st.session_state[CHANGE_OF] = (run_id, since) if run_id else None


def pop_url_error() -> str | None:
    return st.session_state.pop(URL_ERROR, None)


def teaching() -> bool:
    return bool(st.session_state.get(TEACHING, False))


def _write_url() -> None:
    from cnnviz.design.export import encode_spec

    wanted = {"net": encode_spec(get_spec())} if SPEC in st.session_state else {}
    if st.session_state.get(JOB):
        wanted["job"] = st.session_state[JOB]
    if st.session_state.get(RUN):
        wanted["run"] = st.session_state[RUN]
    if st.session_state.get(COMPARE):
        wanted["compare"] = ",".join(st.session_state[COMPARE])
    for key in ("net", "job", "run", "compare"):
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


def sync_url() -> None:
    """Write the session's design, job and run back into the URL (called on every run)."""
    _write_url()
