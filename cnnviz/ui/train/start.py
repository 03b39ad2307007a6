"""The Train page's Start button: enabled only when everything is ready, else the reasons.

``assemble(settings)`` makes the page's ``TrainConfig`` (not range-checked: a typed
value that is out of range stays as typed). ``start_panel(bundle, fits, config, error)``
lists its ``problems()`` in words, checks the device, and starts a job in the server's
registry when Start is pressed. "Busy" (the server's job cap) and any refusal from the
job are shown as messages, never tracebacks.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnnviz.text.escape import for_markdown
from cnnviz.train.config import ConfigError, TrainConfig
from cnnviz.train.memory import memory_problem
from cnnviz.ui import state
from cnnviz.ui.classroom import jobs as class_jobs
from cnnviz.ui.classroom import session as class_session
from cnnviz.ui.train import session_job as jobs_ui
from cnnviz.ui.train.settings import device_problem


def assemble(settings: dict[str, Any]) -> tuple[TrainConfig | None, str | None]:
    """``(config, None)``, or ``(None, why)`` when a choice is not one TrainConfig knows."""
    try:
        return TrainConfig(**settings), None
    except (ConfigError, TypeError) as e:
        return None, str(e)


def build_config(config: TrainConfig) -> tuple[TrainConfig | None, list[str]]:
    """``(config, [])`` or ``(None, problems)``: every setting out of range, and the device."""
    problems = config.problems()
    dev = device_problem(config.device)
    if dev:
        problems.append(dev)
    return (config if not problems else None), problems


def start_panel(
    bundle: Any, fits: bool, config: TrainConfig | None, config_error: str | None = None
) -> None:
    """Start button (disabled with the reasons when training cannot start)."""
    config, problems = build_config(config) if config is not None else (None, [config_error])
    reasons = []
    if bundle is None:  # nothing to check the network against yet: no word about fix buttons
        reasons.append("Load the data first (see **Data** above).")
    elif not fits:
        reasons.append(
            "The network does not fit the data yet: use the fix buttons under **Network** above, "
            "or change it on the Design page."
        )
    reasons += problems
    reasons += class_jobs.limit_reasons(state.get_spec(), bundle, config)  # the teacher's limits
    if config is not None and bundle is not None and fits:
        too_big = memory_problem(state.get_spec(), config.batch_size, str(config.optimizer))
        if too_big:
            reasons.append(too_big)
    # Started here in the script, not in an on_click callback: a callback would get the
    # settings of the previous run, and a value typed into a box just before the click
    # (sent with the click, drawn above in this run) would be ignored.
    clicked = st.button(
        "Start training",
        icon=":material/rocket_launch:",
        key="train.start",
        type="primary",
        disabled=bool(reasons),
        help=" ".join(reasons) or "Train this network on this data in the background.",
    )
    for r in reasons:
        st.caption(f"Start is off: {r}")
    if clicked and config is not None:
        if class_session.enabled():  # a class server: the fair queue starts it (now or in turn)
            _, message = class_jobs.start(state.get_spec(), bundle, config)
        else:
            _, message = jobs_ui.start(state.get_spec(), bundle, config)
        if message:
            st.error(for_markdown(message))
        else:
            st.rerun()  # draw the page again with the settings locked and the live view
