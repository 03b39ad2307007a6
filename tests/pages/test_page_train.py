"""Train page (AppTest): start a short training, poll until it ends, charts; fit problems and fixes.

AppTest does not honour ``st.fragment(run_every=...)`` on its own: the test
polls by calling ``at.run()`` in a loop, as the browser's timer would.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnnviz.text.escape import for_markdown
from cnnviz.train.request import TrainRequest
from cnnviz.train.store import list_runs
from tests.helpers import APP
from tests.helpers import SHAPES28_SPEC as TINY

pytestmark = pytest.mark.usefixtures("small_train_data")


def _train_page(spec: dict | None = None, *, look: bool = False) -> AppTest:
    """The Train page; the data preview (slow to draw, tested once) is off unless ``look``."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.session_state["train.data.look"] = look
    if spec is not None:
        at.session_state["cnnviz.design.spec"] = spec
    at.switch_page("views/train.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in (at.error, at.warning, at.info, at.success, at.caption, at.markdown)
        for e in kind
    ]
    return "\n".join(str(p) for p in parts)


def test_start_poll_until_finished_shows_charts_and_saves_a_run():
    at = _train_page(TINY, look=True)
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    at.number_input(key="train.cfg.epochs").set_value(1).run()
    assert "The network fits this data" in _texts(at)
    start = at.button(key="train.start")
    assert not start.disabled
    start.click().run()
    assert not at.exception, at.exception
    job_id = at.session_state["cnnviz.job_id"]
    assert at.query_params.get("job") in (job_id, [job_id])
    deadline = time.monotonic() + 120
    seen_progress = False
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        seen_progress |= bool(at.get("progress"))
        if any("Training finished" in s.value for s in at.success):
            break
        time.sleep(0.3)
    else:
        pytest.fail("training did not finish in time:\n" + _texts(at))
    assert seen_progress
    keys = [c.key for c in at.get("plotly_chart")]
    assert [k for k in keys if k.startswith("train.chart.")] == [
        "train.chart.iter",
        "train.chart.epoch",
    ]
    assert "train.data.preview.samples" in keys  # the look at the data (cnnviz.ui.data_view)
    assert "Test accuracy" in _texts(at)
    runs = list_runs()
    assert len(runs) == 1 and runs[0].status == "finished" and runs[0].dataset == "shapes"
    # after the end, New training hides the results and frees Start again
    at.button(key="train.new").click().run()
    assert "cnnviz.job_id" not in at.session_state or at.session_state["cnnviz.job_id"] is None
    assert not at.button(key="train.start").disabled


def test_pause_resume_and_stop():
    at = _train_page(TINY)
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    at.number_input(key="train.cfg.epochs").set_value(50).run()
    at.button(key="train.start").click().run()
    from cnnviz.ui.jobs import registry

    job = registry().get(at.session_state["cnnviz.job_id"])
    assert _buttons(at) == {"train.pause", "train.stop"}
    at.button(key="train.pause").click().run()
    assert str(job.status) == "paused"
    assert any("Paused" in p.proto.text for p in at.get("progress"))
    assert _buttons(at) == {"train.resume", "train.stop"}
    at.button(key="train.resume").click().run()
    assert str(job.status) == "running"
    at.button(key="train.stop").click().run()
    assert job.wait(30)
    at.run()
    assert str(job.status) == "stopped"
    assert "Training stopped" in _texts(at)
    # an ended run: only New training and Open in Inspect (no Start, no greyed Pause/Stop)
    assert _buttons(at) == {"train.new", "train.inspect"}
    at.button(key="train.new").click().run()
    assert _buttons(at) == {"train.start"}


def _buttons(at: AppTest) -> set[str]:
    """Keys of the Train page's own buttons (Start and the run's controls) on show."""
    ours = (
        "train.start",
        "train.pause",
        "train.resume",
        "train.stop",
        "train.new",
        "train.inspect",
    )
    return {b.key for b in at.button if b.key in ours}
    assert not at.exception


def _job(at: AppTest):
    from cnnviz.ui.jobs import registry

    return registry().get(at.session_state["cnnviz.job_id"])


def test_start_uses_the_value_typed_in_the_same_run_as_the_click():
    """A value typed into Epochs and sent with the Start click (no Enter first) is the one used."""
    at = _train_page(TINY)
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    at.number_input(key="train.cfg.epochs").set_value(8)
    at.number_input(key="train.cfg.lr").set_value(0.005)
    at.button(key="train.start").click()
    at.run()
    assert not at.exception, at.exception
    job = _job(at)
    assert job.config.epochs == 8
    assert job.config.lr == pytest.approx(0.005)
    at.run()  # while it trains, the set-up is folded below the live view, not drawn
    assert not [n for n in at.number_input if n.key == "train.cfg.epochs"]
    assert [e.label for e in at.expander][0].startswith("Data, network and settings")
    at.session_state["train.setup"] = True  # opened: the locked settings show what it runs with
    at.run()
    assert at.number_input(key="train.cfg.epochs").disabled
    assert at.number_input(key="train.cfg.epochs").value == 8
    assert at.number_input(key="train.cfg.lr").value == pytest.approx(0.005)
    deadline = time.monotonic() + 120
    while job.progress().iteration < 1 and not job.wait(0.05):  # the first mini-batch is done
        assert time.monotonic() < deadline, "no iteration within 2 minutes"
    job.pause()  # hold it still, so the page and the job agree on where it is
    while job.control.waits < 1:
        assert time.monotonic() < deadline, "the job did not pause"
        time.sleep(0.05)
    p = job.progress()
    at.run()
    texts = [bar.proto.text for bar in at.get("progress")]
    want = f"Paused — Epoch {p.epoch}/8 · iteration {p.iteration:,}/{p.total_iterations:,}"
    assert any(t.startswith(want) for t in texts), (want, texts)
    at.button(key="train.stop").click().run()
    assert job.wait(30)
    at.run()
    at.button(key="train.new").click().run()
    assert "cnnviz.job_id" not in at.session_state or not at.session_state["cnnviz.job_id"]
    at.number_input(key="train.cfg.epochs").set_value(12)
    at.button(key="train.start").click()
    at.run()
    assert not at.exception, at.exception
    second = _job(at)
    assert second.id != job.id
    assert second.config.epochs == 12
    second.stop()
    assert second.wait(30)


def test_network_that_does_not_fit_is_explained_and_fixed_in_one_click():
    wrong_input = {**TINY, "input": [1, 28, 28]}
    at = _train_page(wrong_input)
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    # the message names the dataset (a visitor's text for a ZIP): the page shows it escaped
    assert for_markdown("The network expects input [1, 28, 28]") in _texts(at)
    assert at.button(key="train.start").disabled
    fix = at.button(key="train.net.fix.0")
    assert "[3, 28, 28]" in fix.label
    fix.click().run()
    assert not at.exception
    assert at.session_state["cnnviz.design.spec"]["input"] == [3, 28, 28]
    assert "The network fits this data" in _texts(at)
    assert not at.button(key="train.start").disabled


def test_wrong_number_of_outputs_gets_a_fix():
    five = {**TINY, "layers": [*TINY["layers"][:-1], {"type": "linear", "out_features": 5}]}
    at = _train_page(five)
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    assert "5 outputs" in _texts(at) and "10 classes" in _texts(at)
    at.button(key="train.net.fix.0").click().run()
    assert at.session_state["cnnviz.design.spec"]["layers"][-1]["out_features"] == 10


def test_invalid_network_cannot_start_and_points_to_design():
    bad = {
        **TINY,
        "layers": [
            {"type": "conv2d", "out_channels": 4, "kernel_size": 40},
            {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    }
    at = _train_page(bad)
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    assert not at.exception
    text = _texts(at)
    assert "Layer 1" in text
    assert at.button(key="train.start").disabled
    assert (
        any("Design" in (link.label or "") for link in at.get("page_link")) or "Design page" in text
    )


def test_bad_settings_block_start_with_a_message():
    at = _train_page(TINY)
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    at.selectbox(key="train.cfg.device").set_value("cuda").run()
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert at.button(key="train.start").disabled
    assert "No NVIDIA GPU" in _texts(at)


def test_refresh_reattaches_via_url():
    at = _train_page(TINY)
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    at.number_input(key="train.cfg.epochs").set_value(50).run()
    at.button(key="train.start").click().run()
    job_id = at.session_state["cnnviz.job_id"]
    # a new browser session with ?job= in the URL finds the same job
    fresh = AppTest.from_file(APP, default_timeout=60)
    fresh.query_params["job"] = job_id
    fresh.run()
    fresh.switch_page("views/train.py")
    fresh.run()
    assert not fresh.exception
    assert fresh.session_state["cnnviz.job_id"] == job_id
    assert fresh.get("progress")
    fresh.button(key="train.stop").click().run()


def test_unknown_job_in_url_is_explained():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["job"] = "0123456789ab"  # a well-formed id this server does not know
    at.run()
    at.switch_page("views/train.py")
    at.run()
    assert not at.exception
    assert "not running on this server" in _texts(at)


def test_normalization_values_match_what_the_engine_fits():
    from cnnviz.data.registry import load_dataset
    from cnnviz.train.config import TrainConfig
    from cnnviz.train.prepared import prepare

    at = _train_page(TINY)
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    at.radio(key="train.cfg.normalize").set_value("standardize").run()
    shown = [c.value for c in at.caption if c.value.startswith("Normalization:")]
    assert len(shown) == 1
    # the engine's own preparation of the same data and split is the reference
    bundle = load_dataset("shapes", size=28, n_train=200, n_test=40)
    config = TrainConfig.from_dict(
        {"normalize": "standardize", "val_fraction": 0.1, "seed": 0, "device": "cpu"}
    )
    expected = prepare(bundle, config).normalization.describe()
    assert expected in shown[0]
    at.radio(key="train.cfg.normalize").set_value("div255").run()
    assert any("÷255" in c.value for c in at.caption if c.value.startswith("Normalization:"))


def test_busy_server_gives_a_clear_message(monkeypatch: pytest.MonkeyPatch):
    from cnnviz.ui.jobs import registry

    monkeypatch.setattr(registry(), "max_live", 0)
    at = _train_page(TINY)
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    at.button(key="train.start").click().run()
    assert not at.exception
    assert any("already running on this server" in e.value for e in at.error), [
        e.value for e in (*at.error, *at.warning, *at.info)
    ]
    assert at.session_state.get("cnnviz.job_id") is None


def test_switching_pages_keeps_the_job():
    at = _train_page(TINY)
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    at.number_input(key="train.cfg.epochs").set_value(50).run()
    at.button(key="train.start").click().run()
    job_id = at.session_state["cnnviz.job_id"]
    at.switch_page("views/runs.py").run()
    assert not at.exception
    at.switch_page("views/train.py").run()
    assert at.session_state["cnnviz.job_id"] == job_id
    assert at.get("progress") and not at.button(key="train.stop").disabled
    at.button(key="train.stop").click().run()


class _NaNOut(torch.nn.Module):
    """A network whose scores are NaN: the engine must stop with advice, the page must show it."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(3 * 28 * 28, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1)) * float("nan")


def test_failed_run_shows_reason_and_advice():
    from cnnviz.data.registry import load_dataset
    from cnnviz.train.config import TrainConfig
    from cnnviz.train.job import Job
    from cnnviz.ui.jobs import registry

    bundle = load_dataset("shapes", size=28, n_train=100, n_test=20)
    config = TrainConfig.from_dict({"epochs": 1, "device": "cpu"})
    job = Job(TrainRequest(TINY, bundle, config, model=_NaNOut())).start()
    assert job.wait(60)
    registry()._jobs[job.id] = job  # as if started from the page (no public way to inject a model)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["job"] = job.id
    at.run()
    at.switch_page("views/train.py")
    at.run()
    assert not at.exception
    failed = [e.value for e in at.error if e.value.startswith("Training failed")]
    assert failed and "learning rate" in failed[0].lower()
    assert _buttons(at) == {"train.new"}  # no weights worth inspecting; retry via New training
    at.button(key="train.new").click().run()
    assert not at.button(key="train.start").disabled  # a failed run can be retried


def test_presenter_mode_folds_data_and_settings():
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.session_state["cnnviz.teaching"] = True
    at.switch_page("views/train.py")
    at.run()
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert "1 · Data" in labels and "3 · Settings" in labels
    assert not at.button(key="train.start").disabled


def test_own_images_choice_waits_for_images():
    at = _train_page()
    at.selectbox(key="train.data.name").set_value("own").run()
    assert not at.exception
    assert at.button(key="train.start").disabled
    assert "Load the data first" in _texts(at)


def test_missing_dataset_files_say_load_the_data_not_fix_the_network(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATA_DIR", os.fspath(tmp_path))  # no MNIST files there
    at = _train_page()
    at.selectbox(key="train.data.name").set_value("mnist").run()
    assert not at.exception, at.exception
    assert at.button(key="train.start").disabled
    reasons = [c.value for c in at.caption if c.value.startswith("Start is off")]
    assert reasons == ["Start is off: Load the data first (see **Data** above)."]
    assert "fix buttons" not in _texts(at)


def test_progress_line_in_the_course_words():
    from cnnviz.train.job import Progress
    from cnnviz.ui.train.live import duration, progress_text

    p = Progress(2, 5, 130, 500, 100, 812.4, 30.0, 95.0)
    frac, text = progress_text(p)
    assert frac == pytest.approx(130 / 500)
    assert text == (
        "Epoch 2/5 · iteration 130/500 (mini-batch 30/100 of this epoch) · 812 images/s · about 1 min 35 s left"
    )
    assert "left" not in progress_text(p, live=False)[1]
    warming_up = Progress(1, 5, 4, 500, 100, 0.0, 3.0, None)  # cnnviz.eta: too few iterations yet
    assert progress_text(warming_up)[1] == (
        "Epoch 1/5 · iteration 4/500 (mini-batch 4/100 of this epoch) · estimating time left…"
    )
    assert progress_text(Progress(0, 5, 0, 0, 0, 0.0, 0.0, None))[1].startswith("Preparing")
    assert [duration(s) for s in (5, 75, 3725, None)] == ["5 s", "1 min 15 s", "1 h 02 min", "…"]


def test_settings_rows_have_no_blank_slot_without_momentum():
    """Adam has no momentum box: Weight decay moves to the first column instead of a gap."""
    at = _train_page()

    at.selectbox(key="train.cfg.optimizer").set_value("adam").run()
    firsts = _first_column_keys(at)
    assert "train.cfg.weight_decay" in firsts and "train.cfg.momentum" not in firsts
    at.selectbox(key="train.cfg.optimizer").set_value("sgd").run()
    assert "train.cfg.momentum" in _first_column_keys(at)


def _first_column_keys(at: AppTest) -> set[str]:
    """Widget keys in the first column of each row of columns on the page."""
    keys: set[str] = set()

    def walk(node) -> None:
        kids = list(getattr(node, "children", {}).values())
        cols = [k for k in kids if k.type == "column"]
        if cols:
            keys.update(e.key for e in _leaves(cols[0]) if getattr(e, "key", None) is not None)
        for k in kids:
            walk(k)

    walk(at._tree)
    return keys


def _leaves(node):
    kids = list(getattr(node, "children", {}).values())
    if not kids:
        yield node
    for k in kids:
        yield from _leaves(k)


def test_out_of_range_settings_are_messages_at_start_not_silent_limits():
    """Epochs 1000 or a negative learning rate are kept as typed and Start says why it is off."""
    at = _train_page(TINY)
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    at.number_input(key="train.cfg.epochs").set_value(1000).run()
    assert not at.exception, at.exception
    assert at.number_input(key="train.cfg.epochs").value == 1000
    assert at.button(key="train.start").disabled
    assert "epochs must be between 1 and 500, not 1000" in _texts(at)
    at.number_input(key="train.cfg.epochs").set_value(2)
    at.number_input(key="train.cfg.lr").set_value(-0.1).run()
    assert at.button(key="train.start").disabled
    assert "lr must be above 0.0" in _texts(at)
    at.number_input(key="train.cfg.lr").set_value(0.001).run()
    assert not at.button(key="train.start").disabled
