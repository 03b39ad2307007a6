"""Train page (AppTest) with trainings handed to a Ray cluster: waiting for a worker, cluster down."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.data.registry import load_dataset
from cnnviz.text.escape import for_markdown
from cnnviz.train.config import TrainConfig
from cnnviz.train.executors import make_executor
from cnnviz.train.executors.settings import ExecutorKind, ExecutorSettings
from cnnviz.train.job import Job, Placement
from cnnviz.train.request import TrainRequest
from tests.helpers import APP
from tests.helpers import SHAPES28_SPEC as TINY


class _Waiting(Job):
    """A job the cluster has no room for yet (never started: nothing runs)."""

    placement = Placement.PENDING
    queue_place = 2


@pytest.fixture(autouse=True)
def _small_data(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CNNVIZ_TRAIN_IMAGES", "200")


def _page(at: AppTest) -> AppTest:
    at.run()
    at.session_state["train.data.look"] = False
    at.session_state["cnnviz.design.spec"] = TINY
    at.switch_page("views/train.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_job_waiting_for_a_worker_says_so_with_its_place():
    from cnnviz.ui.jobs import registry

    bundle = load_dataset("shapes", size=28, n_train=40, n_test=10)
    job = _Waiting(
        TrainRequest(TINY, bundle, TrainConfig.from_dict({"epochs": 1, "device": "cpu"}))
    )
    registry()._jobs[job.id] = job  # as if the page had started it on a full cluster
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["job"] = job.id
    _page(at)
    texts = [p.proto.text for p in at.get("progress")]
    assert any(t.startswith("Waiting for a worker (place 2 in the queue)") for t in texts), texts
    labels = {b.label for b in at.button}
    assert {"Pause", "Stop"} <= labels  # a waiting training can be stopped like a running one
    job.stop()
    del registry()._jobs[job.id]


def test_an_unreachable_cluster_is_a_message_naming_the_address(monkeypatch):
    from cnnviz.ui.jobs import registry

    down = make_executor(ExecutorSettings(kind=ExecutorKind.RAY, address="ray://127.0.0.1:1"))
    monkeypatch.setattr(registry(), "executor", down)
    at = _page(AppTest.from_file(APP, default_timeout=60))
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    at.button(key="train.start").click().run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    address = for_markdown("ray://127.0.0.1:1")  # the page shows messages as text
    assert any(address in e and "cannot be reached" in e for e in errors), errors
    assert at.session_state.get("cnnviz.job_id") is None
