"""The Inspect page in AppTest, with a run trained and saved by the tests themselves.

A tiny network is trained for one epoch on a small Shapes set (1×28×28, so the
drawing canvas is offered too) through the real engine and run store; then the
page is opened through the router, like a user would.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz.train.request import TrainRequest
from tests.helpers import APP

SPEC = {
    "input": [1, 28, 28],
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}
N_TEST = 60


def _train_run(root: Path) -> Path:
    from cnnviz.data.registry import load_dataset
    from cnnviz.train.config import TrainConfig
    from cnnviz.train.engine import build_seeded, fit
    from cnnviz.train.store import RunWriter

    bundle = load_dataset("shapes", size=28, channels=1, n_train=200, n_test=N_TEST)
    config = TrainConfig.from_dict({"epochs": 1, "batch_size": 50, "lr": 3e-3})
    writer = RunWriter(SPEC, label="tiny", root=root)
    events = list(fit(build_seeded(SPEC, 0), bundle, config, writer=writer))
    assert str(events[-1].status) == "finished", events[-1]
    return writer.path


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One trained run, made once for the module; each test copies it into its own runs folder."""
    return _train_run(tmp_path_factory.mktemp("trained"))


@pytest.fixture
def runs_dir(trained_run: Path) -> Path:
    root = Path(os.environ["CNNVIZ_RUNS_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(trained_run, root / trained_run.name)
    return root


def _open_inspect(run_id: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if run_id:
        at.query_params["run"] = run_id
    at.run()
    at.switch_page("views/inspect.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open_tab(at: AppTest, name: str) -> None:
    at.session_state["inspect.tab"] = name
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _figure_titles(at: AppTest) -> list[str]:
    titles = []
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        title = spec.get("layout", {}).get("title", {})
        titles.append(title.get("text", "") if isinstance(title, dict) else str(title))
    return titles


def _png(mode: str, size: tuple[int, int], color) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, format="PNG")
    return buf.getvalue()


def test_no_run_yet_points_to_train():
    at = _open_inspect()
    assert any("no trained network" in i.value.lower() for i in at.info)
    assert any("train" in str(p.proto.page).lower() for p in at.get("page_link"))
    assert not at.error


def test_feature_maps_of_every_layer_with_their_shapes(runs_dir: Path):
    at = _open_inspect()
    titles = [t for t in _figure_titles(at) if "· output [" in t]
    assert len(titles) == len(SPEC["layers"])  # "All layers": one figure per layer
    assert "output [4, 28, 28]" in titles[0] and "Conv2d(1, 4" in titles[0]
    assert "output [4, 14, 14]" in titles[2]
    assert "output [784]" in titles[3]  # Flatten (4·14·14) as a bar strip
    assert "output [10]" in titles[4]
    axes = [json.loads(el.proto.spec)["layout"].get("yaxis", {}) for el in at.get("plotly_chart")]
    assert any(a.get("title", {}).get("text") == "logit (raw score)" for a in axes)  # final Linear
    # one layer only
    at.selectbox(key="fm.layer").set_value("2").run()
    assert [t for t in _figure_titles(at) if "· output [" in t] == [titles[2]]
    assert any("channel 0" in t for t in _figure_titles(at))  # one channel large, with its values
    assert not at.exception


def test_the_chosen_test_image_survives_a_page_switch_and_a_refresh(runs_dir: Path):
    at = _open_inspect()
    at.slider(key="inspect.index").set_value(7).run()
    at.switch_page("views/design.py")
    at.run()
    at.switch_page("views/inspect.py")
    at.run()
    assert not at.exception, at.exception
    assert at.slider(key="inspect.index").value == 7
    url = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert "index:7" in url.get("img", "")
    again = AppTest.from_file(APP, default_timeout=60)
    for k, v in url.items():
        again.query_params[k] = v
    again.run()
    again.switch_page("views/inspect.py")
    again.run()
    assert again.slider(key="inspect.index").value == 7


def test_choose_a_test_image_by_index_class_and_random(runs_dir: Path):
    from cnnviz.data.registry import DATASETS, load_dataset

    classes = DATASETS["shapes"].classes
    y = load_dataset("shapes", size=28, channels=1, n_train=1, n_test=N_TEST).test_y
    at = _open_inspect()
    at.slider(key="inspect.index").set_value(7).run()
    assert any(
        f"test image #7 — true class: {classes[int(y[7])]}" in str(i.proto) for i in at.image
    )
    at.selectbox(key="inspect.class").set_value(3).run()  # only images of class 3 now
    of_class = [int(i) for i in (y == 3).nonzero().squeeze(1)]
    for _ in range(3):
        next(b for b in at.button if b.label == "Random image").click().run()
        assert not at.exception
        shown = " ".join(str(i.proto) for i in at.image)
        assert any(f"test image #{i} " in shown for i in of_class)
    # the slider counts the class's images from 1 and the caption says so
    name = classes[3]
    slider = at.slider(key="inspect.class_index")
    assert slider.min == 1 and slider.max == len(of_class)
    assert f"among the {len(of_class)} “{name}” test images" in slider.label
    slider.set_value(2).run()
    shown = " ".join(str(i.proto) for i in at.image)
    assert (
        f"image 2 of the {len(of_class)} “{name}” test images · test image #{of_class[1]} " in shown
    )


def test_prediction_tab_shows_probabilities_summing_to_one(runs_dir: Path):
    at = _open_inspect()
    _open_tab(at, "Prediction")
    sums = [m for m in at.metric if m.label.startswith("Σ p")]
    assert sums and sums[0].value == "1.000"
    assert any("model.eval()" in c.value and "torch.no_grad()" in c.value for c in at.caption)
    assert any("The network says" in m.value for m in at.markdown)
    at.slider(key="pred.temperature").set_value(3.0).run()
    assert [m for m in at.metric if m.label.startswith("Σ p")][0].value == "1.000"
    assert not at.exception


def test_evaluation_tab_matches_the_runs_test_accuracy(runs_dir: Path):
    run = next(p for p in runs_dir.iterdir() if p.is_dir())
    recorded = json.loads((run / "status.json").read_text())["test_accuracy"]
    at = _open_inspect()
    _open_tab(at, "Evaluation")
    acc = next(m for m in at.metric if m.label == "Test accuracy")
    assert acc.value == f"{100 * recorded:.1f} %"
    assert len(at.get("plotly_chart")) >= 1  # the confusion matrix
    at.toggle(key="ev.norm").set_value(True).run()
    assert not at.exception


def test_mistake_as_image_source(runs_dir: Path):
    at = _open_inspect()
    at.segmented_control(key="inspect.source").set_value("A mistake").run()
    assert not at.exception
    picker = at.selectbox(key="inspect.mistake") if "inspect.mistake" in at.session_state else None
    if picker is None:  # a perfect network has no mistakes
        assert at.success
    else:
        assert "taken for" in picker.options[0]  # "#12: a heart taken for a cross (p = 0.34)"
        assert any("(a mistake)" in str(i.proto) for i in at.image)


def test_filters_and_gradcam_tabs(runs_dir: Path):
    at = _open_inspect()
    _open_tab(at, "Filters")
    titles = _figure_titles(at)
    assert any("weights [4, 1, 3, 3]" in t for t in titles)
    _open_tab(at, "Where it looks")
    assert any("Grad-CAM" in c.value for c in at.caption)
    # class names and layers numbered from 1, as on Design (the last Conv2d is layer 1 here)
    from cnnviz.data.registry import DATASETS

    note = next(c.value for c in at.caption if c.value.startswith("Grad-CAM:"))
    assert "at layer 1 (Conv2d)" in note and "class " not in note
    assert any(f"“{name}”" in note for name in DATASETS["shapes"].classes)
    assert at.selectbox(key="cam.layer").options[0].startswith("Layer 1 · Conv2d")
    assert not at.error


def test_upload_is_converted_and_bad_files_get_a_message(runs_dir: Path):
    at = _open_inspect()
    at.segmented_control(key="inspect.source").set_value("Upload").run()
    # the label's limit and the uploader's own "… MB per file" say the same
    up = at.file_uploader[0].proto
    assert "up to 20 MB" in up.label and up.max_upload_size_mb == 20
    at.file_uploader[0].set_value(
        ("photo.png", _png("RGBA", (120, 60), (255, 0, 0, 128)), "image/png")
    ).run()
    assert not at.exception and not at.error
    assert any("1×28×28" in c.value for c in at.caption)
    assert any("your upload" in str(i.proto) for i in at.image)
    at.file_uploader[0].set_value(("notes.png", b"this is not an image", "image/png")).run()
    assert not at.exception
    assert any("not an image" in e.value for e in at.error)


def test_broken_run_gets_a_message_and_is_not_touched(runs_dir: Path):
    run = next(p for p in runs_dir.iterdir() if p.is_dir())
    broken = runs_dir / "20000101-000000-broken-000000"
    shutil.copytree(run, broken)
    (broken / "weights.pt").write_bytes(b"PK\x03\x04 not really a zip")
    before = {p.name: p.read_bytes() for p in broken.iterdir()}
    at = _open_inspect(run_id=broken.name)
    assert at.selectbox(key="inspect.network").value == broken.name
    assert at.error[0].value == (
        f"weights.pt in {broken.name} is damaged and cannot be read: "
        "train again, or delete this run folder."
    )
    assert not at.exception
    assert {p.name: p.read_bytes() for p in broken.iterdir()} == before


def test_unknown_run_in_the_url_is_named_and_cleared(runs_dir: Path):
    at = _open_inspect(run_id="20200101-000000-does-not-exist-abcdef")
    warnings = " ".join(w.value for w in at.warning)
    assert "There is no run called 20200101-000000-does-not-exist-abcdef" in warnings
    assert str(runs_dir) not in warnings and "/" not in warnings  # no server path
    assert at.session_state["cnnviz.run_id"] is None
    assert "run" not in at.query_params
    assert not any("20200101-000000-does-not-exist-abcdef" in c.value for c in at.sidebar.caption)
    assert not at.error


def test_weights_with_pickled_code_are_refused(runs_dir: Path):
    run = next(p for p in runs_dir.iterdir() if p.is_dir())
    evil = runs_dir / "20000101-000000-evil-000000"
    shutil.copytree(run, evil)
    torch.save({"x": Path("/")}, evil / "weights.pt")  # not just tensors: needs unpickling code
    at = _open_inspect(run_id=evil.name)
    assert not at.exception
    assert len(at.error) == 1 and "weights" in at.error[0].value  # one plain sentence
    message = at.error[0].value
    assert "refused for safety" in message and "\x1b" not in message  # no torch internals
    assert "Weights only load failed" not in message and "Traceback" not in message


def test_convert_upload_odd_files():
    from cnnviz.ui.inspect.image import convert_upload
    from cnnviz.ui.inspect.model import Subject

    subject = Subject(
        "k", "t", torch.nn.Identity(), SPEC, tuple("0123456789"), None, "mnist", (1, 28, 28), ""
    )
    chosen, err = convert_upload(_png("P", (300, 200), 3), subject, dark=True)
    assert err is None and chosen.x.shape == (1, 1, 28, 28) and chosen.x.dtype == torch.uint8
    assert chosen.notes and "mode P" in chosen.notes[0]
    noise = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)).save(
        noise, "PNG"
    )
    truncated = noise.getvalue()[: len(noise.getvalue()) // 2]
    for bad in (b"", b"GIF89a not really", truncated):
        chosen, err = convert_upload(bad, subject)
        assert chosen is None and err and err.startswith("That file cannot be used")


def test_canvas_png_is_decoded():
    import base64

    from cnnviz.ui.inspect.canvas import decode_png_data_url

    arr = np.zeros((280, 280, 4), np.uint8)
    arr[..., 3] = 255
    arr[100:180, 130:150, :3] = 255
    buf = io.BytesIO()
    Image.fromarray(arr, "RGBA").save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    out = decode_png_data_url(url)
    assert out is not None and out.shape == (280, 280, 4) and np.array_equal(out, arr)
    assert decode_png_data_url("data:text/plain;base64,aGk=") is None
    assert decode_png_data_url("data:image/png;base64,!!!") is None


def test_the_sessions_training_job_is_inspected_on_a_copy_of_its_weights():
    import time

    from cnnviz.data.registry import load_dataset
    from cnnviz.train.config import TrainConfig
    from cnnviz.ui.jobs import registry

    bundle = load_dataset("shapes", size=28, channels=1, n_train=400, n_test=N_TEST)
    # Enough epochs that the job cannot finish before the pause lands, even on a fast machine.
    config = TrainConfig.from_dict({"epochs": 8, "batch_size": 20, "lr": 3e-3})
    job = registry().start(
        TrainRequest(SPEC, bundle, config, runs_root=os.environ["CNNVIZ_RUNS_DIR"])
    )
    try:
        deadline = time.monotonic() + 60
        while job.progress().iteration < 2 and not job.done and time.monotonic() < deadline:
            time.sleep(0.05)
        job.pause()
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params["job"] = job.id
        at.run()
        at.switch_page("views/inspect.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.selectbox(key="inspect.network").value == "__job__"
        note = " ".join(c.value for c in at.caption)
        reached = job.progress()
        assert f"weights as of epoch {reached.epoch}, iteration {reached.iteration}" in note
        assert "a copy" in note
        assert any("· output [4, 28, 28]" in t for t in _figure_titles(at))
        weights_before = {k: v.clone() for k, v in job.model.state_dict().items()}
        next(b for b in at.button if b.label == "Take the latest weights").click().run()
        assert not at.exception
        for (
            k,
            v,
        ) in job.model.state_dict().items():  # inspecting never changes the training's weights
            assert torch.equal(v, weights_before[k])
        job.resume()
        assert job.wait(60)
        at.run()
        assert "(finished)" in " ".join(c.value for c in at.caption)
    finally:
        job.stop()
        job.wait(10)


def test_confusion_cells_are_clickable_and_clicks_are_read():
    from cnnviz.plots.inspect import results

    clicked_cell = results.selected_cell  # what the page reads the click with
    fig = results.confusion_figure(torch.tensor([[3, 1], [2, 4]]), class_names=["a", "b"])
    markers = [t for t in fig.data if t.type == "scatter"]
    assert (
        markers and markers[0].hoverinfo != "skip"
    )  # plotly only sends clicks to hoverable traces
    assert all(t.hoverinfo == "skip" for t in fig.data if t.type == "heatmap")
    browser = {"selection": {"points": [{"x": "b", "y": "a", "customdata": {"0": 0, "1": 1}}]}}
    assert clicked_cell(browser) == (0, 1)
    assert clicked_cell({"selection": {"points": [{"customdata": [1, 0]}]}}) == (1, 0)
    assert clicked_cell({"selection": {"points": []}}) is None
    assert clicked_cell(None) is None


def test_missing_dataset_files_still_allow_upload_and_drawing(runs_dir: Path):
    run = next(p for p in runs_dir.iterdir() if p.is_dir())
    config = json.loads((run / "config.json").read_text())
    config["dataset"]["name"] = "mnist"  # trained on MNIST, whose files this machine does not have
    (run / "config.json").write_text(json.dumps(config))
    at = _open_inspect()
    assert any("MNIST" in w.value and "upload" in w.value for w in at.warning)
    assert at.segmented_control(key="inspect.source").options == ["Upload", "Draw"]
    _open_tab(at, "Evaluation")
    assert any("test split" in i.value for i in at.info)
    assert not at.error


def test_upload_fit_and_invert_choices():
    from cnnviz.ui.inspect.image import convert_upload
    from cnnviz.ui.inspect.model import Subject

    subject = Subject(
        "k", "t", torch.nn.Identity(), SPEC, tuple("0123456789"), None, "mnist", (1, 28, 28), ""
    )
    wide_white = _png("L", (280, 140), 255)  # a white page, twice as wide as high
    crop, _ = convert_upload(wide_white, subject, dark=True, fit="crop", invert=False)
    pad, _ = convert_upload(wide_white, subject, dark=True, fit="pad", invert=False)
    assert int(crop.x.min()) == 255  # cropped: white everywhere
    assert int(pad.x.min()) == 0 and int(pad.x.max()) == 255  # padded with the (black) background
    auto, _ = convert_upload(wide_white, subject, dark=True, fit="crop")
    assert int(auto.x.max()) == 0  # dark-on-light guessed and inverted for MNIST-like data
    assert any("invert" in n for n in auto.notes)


def test_a_network_without_images_shows_its_weights_and_no_error():
    from cnnviz.design.build import build_model
    from cnnviz.design.presets import PRESETS

    spec = PRESETS["mlp-2-3-3-1"].new_spec()
    run = Path(os.environ["CNNVIZ_RUNS_DIR"]) / "20000101-000000-mlp-000000"
    run.mkdir(parents=True)
    (run / "spec.json").write_text(json.dumps(spec))
    config = {
        "train": {"epochs": 1},
        "dataset": {"name": ""},
        "classes": ["y"],
        "normalization": {"kind": "none"},
    }
    (run / "config.json").write_text(json.dumps(config))
    (run / "status.json").write_text(json.dumps({"status": "finished", "epochs_done": 1}))
    torch.save(build_model(spec).state_dict(), run / "weights.pt")
    at = _open_inspect()
    assert any("not an image" in w.value for w in at.warning)
    _open_tab(at, "Filters")
    assert any("no Conv2d" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 3  # a weight histogram per Linear layer
    assert not at.error


def test_choose_hint_lists_only_the_offered_sources():
    from cnnviz.ui.inspect.image import choose_hint
    from cnnviz.ui.inspect.model import Subject

    def subject(shape):
        return Subject("k", "t", torch.nn.Identity(), SPEC, ("a", "b"), None, "shapes", shape, "")

    bundle = object()
    assert choose_hint(subject((3, 64, 64)), bundle) == (
        "Choose an image above: a test image, a mistake or an upload."
    )
    assert choose_hint(subject((1, 28, 28)), bundle) == (
        "Choose an image above: a test image, a mistake, an upload or a drawing."
    )
    assert choose_hint(subject((3, 64, 64)), None) == "Choose an image above: an upload."
