"""The Train page's Start button: enabled only when everything is ready, else the reasons.

``assemble(settings)`` makes the page's ``TrainConfig`` (not range-checked: a typed
value that is out of range stays as typed). ``start_panel(bundle, fits, config, error)``
lists its ``problems()`` in words, checks the device, lists the submission gate's
refusals (the memory, the teacher's limits, a training of yours still running), and
submits the training through the gate (``cnnviz.ui.submit``) when Start is pressed.
"Busy" (the server's job cap) and any refusal are shown as messages, never tracebacks.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnnviz.text.escape import for_markdown
from cnnviz.train.config import ConfigError, TrainConfig
from cnnviz.ui import state
from cnnviz.ui import submit as submit_ui
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
    if fits:  # the gate's own reasons: memory, the teacher's limits, your running job
        reasons += submit_ui.start_refusals(state.get_spec(), bundle, config)
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
    if clicked and config is not None:  # a class server: the fair queue starts it (now or in turn)
        message = submit_ui.start_training(state.get_spec(), bundle, config)
        if message:
            st.error(for_markdown(message))
        else:
            st.rerun()  # draw the page again with the settings locked and the live view
