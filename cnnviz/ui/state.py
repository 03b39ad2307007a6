"""Session state shared by the pages, mirrored into the URL.

One place names every session key. The design lives in ``?net=`` (compact, see
``cnnviz.export.encode_spec``), the training job in ``?job=``, the opened run in
``?run=``: a copied link reopens the design, a refresh re-attaches to the job.
Streamlit clears query parameters when the user switches pages, so ``sync_url``
(called by app.py on every run) writes them back.

Every other choice (the Train page's data and settings, the Inspect image, presenter
mode, the selected layer) is kept too. Streamlit deletes the state of a widget that
a run does not draw (any widget on another page), so a page asks ``kept(key, default)``
for its widget's key instead of passing ``value=``: the value is restored from this
module's own store after a page switch, and from the URL after a refresh (``?cfg=``
Train settings, ``?data=`` the data, ``?img=`` the Inspect image, ``?present=1``,
``?layer=``). Only values that differ from their default go into the URL.
"""

from __future__ import annotations

import copy
from enum import Enum
from typing import Any
from urllib.parse import quote, unquote

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
SELECTED = "design.selected"  # path of the layer edited in detail on Design ("4", "4.2")
KEPT = "cnnviz.kept"  # {widget key: value}: what each kept widget last held
DEFAULTS = "cnnviz.kept_defaults"  # {widget key: default}: only changed values go in the URL
PRESENT_ASKED = "present.asked"  # the run Present is asked to show: a button, or the link's ?run=
FROM_URL = "cnnviz.from_url"  # {widget key: raw text} read from the first run's URL
TRAIN_PRESET = "cnnviz.train_preset"  # the preset whose data and settings Train has taken
# URL parameter -> the widget-key prefix it carries
GROUPS = {"cfg": "train.cfg.", "data": "train.data.", "own": "train.own.", "img": "inspect."}


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
        except (ValueError, TypeError, OverflowError, RecursionError) as e:
            st.session_state[URL_ERROR] = (
                f"The design in this link could not be read ({e}); showing the default."
            )
    from cnnviz.train.ids import is_job_id, is_run_id  # light: no torch

    for key, param, valid, what in (
        (JOB, "job", is_job_id, "a training job id (12 letters and digits)"),
        (RUN, "run", is_run_id, "a run id (a run folder's name, from the Runs page)"),
    ):
        value = st.query_params.get(param)
        if not value:
            continue
        if valid(value):
            st.session_state[key] = value
            if key == RUN:  # a link names the run to present too (clicks on Runs later do not)
                st.session_state[PRESENT_ASKED] = value
        else:  # never looked up, shown as Markdown or used in a path
            st.session_state[URL_ERROR] = " ".join(
                filter(
                    None,
                    [
                        st.session_state.get(URL_ERROR),
                        f"The link's {param}= is not {what}; it was ignored.",
                    ],
                )
            )
            del st.query_params[param]
    if st.query_params.get("compare"):
        wanted = [r for r in st.query_params["compare"].split(",") if r]
        st.session_state[COMPARE] = [r for r in wanted if is_run_id(r)]  # never a path
    st.session_state[TEACHING] = st.query_params.get("present") == "1"
    layer = st.query_params.get("layer", "")  # "5" or "5.3" (a layer inside a block), from 1
    steps = layer.split(".")
    if 0 < len(steps) <= 16 and all(p.isdigit() and 1 <= int(p) <= 999 for p in steps):
        st.session_state[SELECTED] = ".".join(str(int(p) - 1) for p in steps)
    st.session_state[FROM_URL] = {
        GROUPS[param] + name: value
        for param in GROUPS
        for name, value in decode_pairs(st.query_params.get(param, "")).items()
    }
    st.session_state[TRAIN_PRESET] = st.session_state[PRESET]  # the link's settings stand


def encode_pairs(values: dict[str, Any]) -> str:
    """``{"epochs": 2, "lr": 0.01}`` -> ``epochs:2,lr:0.01`` (values percent-quoted)."""
    return ",".join(f"{k}:{quote(_text(v), safe='./-_')}" for k, v in values.items())


def decode_pairs(text: str) -> dict[str, str]:
    out = {}
    for part in text.split(","):
        name, sep, value = part.partition(":")
        if sep and name:
            out[name] = unquote(value)
    return out


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, Enum):
        return str(v.value)
    return str(v)


def _parse(raw: str, default: Any) -> Any:
    """``raw`` (from the URL) as the type of ``default``; ValueError when it is not one."""
    if isinstance(default, bool):
        if raw not in ("0", "1"):
            raise ValueError(raw)
        return raw == "1"
    if isinstance(default, Enum):
        return type(default)(raw)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def kept(key: str, default: Any) -> str:
    """``key``, ready for a widget drawn with ``key=key`` and no ``value=``.

    Its value is what the user last chose (kept across page switches), else the link's
    (``?cfg=`` & co.), else ``default``. Returns the key, for ``key=state.kept(...)``.
    """
    ss = st.session_state
    defaults = ss.setdefault(DEFAULTS, {})
    defaults[key] = default
    if key not in ss:
        store, url = ss.setdefault(KEPT, {}), ss.get(FROM_URL, {})
        if key in store:
            ss[key] = store[key]
        elif key in url:
            try:
                ss[key] = _parse(url[key], default)
            except ValueError:
                ss[key] = default
        else:
            ss[key] = default
    return key


def remember() -> None:
    """Copy every kept widget's value into the store (app.py, at the start of each run:
    the values the browser sent are in the session then, before a page drops any)."""
    ss = st.session_state
    store = ss.setdefault(KEPT, {})
    prefixes = tuple(GROUPS.values())
    for key in list(ss.keys()):  # also values a page set for another (Runs' "train again")
        if key in ss.get(DEFAULTS, {}) or (isinstance(key, str) and key.startswith(prefixes)):
            store[key] = ss[key]


def forget_kept(prefix: str) -> None:
    """Drop the kept values of the widgets under ``prefix`` (they take their defaults again)."""
    ss = st.session_state
    for key in [k for k in ss.get(KEPT, {}) if k.startswith(prefix)]:
        del ss[KEPT][key]
        ss.pop(key, None)


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
    if st.session_state.get(TEACHING):
        wanted["present"] = "1"
    sel = st.session_state.get(SELECTED)
    if isinstance(sel, str) and sel not in ("", "0"):
        wanted["layer"] = ".".join(str(int(p) + 1) for p in sel.split("."))
    store, defaults = st.session_state.get(KEPT, {}), st.session_state.get(DEFAULTS, {})
    for param, prefix in GROUPS.items():
        changed = {
            k.removeprefix(prefix): v
            for k, v in sorted(store.items())
            if k.startswith(prefix) and k in defaults and v != defaults[k]
        }
        if changed:
            wanted[param] = encode_pairs(changed)
    for key in ("net", "job", "run", "compare", "present", "layer", *GROUPS):
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


def sync_url() -> None:
    """Keep the widgets' values, then write the session's choices into the URL (every run)."""
    remember()
    _write_url()
