"""The toy 2-D datasets on the Train page: offered for the flat [2] network, trained and saved."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.design.presets import PRESETS
from cnnviz.train.store import list_runs
from tests.helpers import APP


@pytest.fixture(autouse=True)
def _no_job_left():
    yield
    from cnnviz.ui.jobs import registry

    for job in registry().live():
        job.stop()
        job.wait(10)


def test_lecture_mlp_trains_on_xor_after_one_fix() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.session_state["cnnviz.design.spec"] = PRESETS["mlp-2-3-3-1"].new_spec()
    at.switch_page("views/train.py")
    at.run()
    at.selectbox(key="train.data.name").set_value("xor").run()
    assert not at.exception, at.exception
    text = "\n".join(str(e.value) for e in [*at.error, *at.markdown, *at.caption])
    assert "points of 2 numbers" in text and "[64, 2]" in text
    assert (
        "ends with 1 output, but" in text and "2 classes" in text
    )  # the preset ends in Linear(3, 1)
    assert "train.data.points" in [c.key for c in at.get("plotly_chart")]
    at.button(key="train.net.fix.0").click().run()
    assert at.session_state["cnnviz.design.spec"]["layers"][-1]["out_features"] == 2
    at.number_input(key="train.cfg.epochs").set_value(1).run()
    at.button(key="train.start").click().run()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if any("Training finished" in s.value for s in at.success):
            break
        time.sleep(0.3)
    else:
        pytest.fail("training on XOR did not finish")
    runs = list_runs()
    assert len(runs) == 1 and runs[0].dataset == "xor" and runs[0].status == "finished"
