"""Session state from the URL: a link reopens the design, and a preset's link stays that preset."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from cnnviz.design.export import encode_spec
from cnnviz.design.presets import PRESETS
from tests.helpers import APP


def _open(net: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["net"] = net
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_link_to_an_unedited_preset_reopens_as_that_preset() -> None:
    at = _open(encode_spec(PRESETS["tiny-vgg"].spec))
    assert at.session_state["cnnviz.preset"] == "tiny-vgg"
    assert at.session_state["cnnviz.design.spec"] == PRESETS["tiny-vgg"].spec


def test_a_link_to_an_edited_design_is_a_design_of_its_own() -> None:
    spec = PRESETS["tiny-vgg"].new_spec()
    spec["layers"][0]["out_channels"] = 7
    at = _open(encode_spec(spec))
    assert at.session_state["cnnviz.preset"] == ""
    assert at.session_state["cnnviz.design.spec"]["layers"][0]["out_channels"] == 7
    assert at.query_params["net"] == encode_spec(spec)
