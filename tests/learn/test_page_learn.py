"""The Learn page in AppTest: every lesson draws on the current design (random weights, said
so) and on a trained run; stepping a convolution; the toy playground trains."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from cnnviz.design.presets import PRESETS
from tests.helpers import APP

TINY = {
    "input": [1, 12, 12],
    "layers": [
        {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1, "stride": 2},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "out_features": 8},
        {"type": "linear", "out_features": 10},
    ],
}


def _learn(lesson: str, spec: dict | None = TINY, run_id: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if spec is not None:
        at.session_state["cnnviz.design.spec"] = spec
    if run_id is not None:
        at.session_state["cnnviz.run_id"] = run_id
    at.switch_page("views/learn.py")
    at.run()
    at.segmented_control(key="learn.lesson").set_value(lesson).run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    kinds = (at.markdown, at.caption, at.info, at.warning, at.error, at.success)
    return "\n".join(str(e.value) for kind in kinds for e in kind)


def _stepper(at: AppTest) -> dict:
    """The data the page sent to the in-page stepper (the component's JSON)."""
    found = [e for e in at.get("bidi_component") if "stepper" in e.proto.id]
    assert len(found) == 1, [e.proto.id for e in at.get("bidi_component")]
    assert found[0].proto.component_name == "cnnviz_conv_stepper"
    return json.loads(found[0].proto.json)


def _f32(b64: str, *shape: int) -> torch.Tensor:
    return torch.from_numpy(np.frombuffer(base64.b64decode(b64), dtype="<f4").copy()).reshape(shape)


def test_convolution_steps_in_the_page_with_torchs_numbers() -> None:
    """The page sends the input, the kernel and torch's output once; conv2d of what it sent
    gives what it sent as the output (the page's JavaScript sums the same numbers)."""
    at = _learn("conv")
    text = _text(at)
    assert "with **random weights**" in text  # bold on the page, not escaped stars
    assert "H_out = W_out = ⌊(12 + 2·1 − 1·(3−1) − 1) / 2⌋ + 1 = ⌊5.5⌋ + 1 = 6" in text
    assert not at.get("plotly_chart")  # no figure per step any more: the page draws them
    d = _stepper(at)
    assert d["kind"] == "conv" and d["stride"] == [2, 2] and d["padding"] == [1, 1]
    c, (h, w), (kh, kw) = len(d["in_channels"]), d["in_size"], d["kernel_size"]
    assert (c, h, w, kh, kw) == (1, 12, 12, 3, 3) and d["out_size"] == [6, 6]
    x, k = _f32(d["input"], 1, c, h, w), _f32(d["kernel"], 1, c, kh, kw)
    ours = F.conv2d(x, k, torch.tensor([d["bias"]]), d["stride"], d["padding"], d["dilation"])
    out = _f32(d["output"], 6, 6)
    torch.testing.assert_close(ours[0, 0], out, rtol=1e-5, atol=1e-5)
    assert d["has_bias"] and d["pos"] == 0 and not d["big"]
    at.slider(key="learn.conv.channel").set_value(2).run()  # another filter: new numbers
    d2 = _stepper(at)
    assert d2["channel"] == 2 and d2["kernel"] != d["kernel"] and d2["id"] != d["id"]


def test_max_pool_step_and_mult_adds_saved() -> None:
    at = _learn("pool")
    text = _text(at)
    assert "fewer" in text and "Linear(27, 8)" in text
    d = _stepper(at)
    (h, w), (ho, wo) = d["in_size"], d["out_size"]
    x = _f32(d["input"], 1, 1, h, w)
    pooled = F.max_pool2d(x, d["kernel_size"], d["stride"], d["padding"], d["dilation"])
    assert d["kind"] == "pool" and (ho, wo) == (3, 3)
    torch.testing.assert_close(pooled[0, 0], _f32(d["output"], ho, wo))


def test_linear_or_not_verdicts() -> None:
    at = _learn("linear")
    assert "is **affine**" in _text(at)  # layer 1: Conv2d with its bias
    at.toggle(key="learn.linear.nobias").set_value(True).run()
    assert "is **linear**" in _text(at)
    at.selectbox(key="learn.linear.layer").set_value(1).run()  # ReLU
    assert "is **not linear**" in _text(at)
    # a ✗ shows numbers that differ: the values where the two sides differ most
    table = next(m.value for m in at.markdown if "| f(a + b) = f(a) + f(b) |" in m.value)
    row = next(line for line in table.splitlines() if line.startswith("| f(a + b)"))
    _, test, left, right, gap, holds, _ = (cell.strip() for cell in row.split("|"))
    assert holds == "✗" and left != right and float(gap) > 0
    assert "your layers 5, 6" in _text(at)  # the two Linear layers in a row collapse


def test_matrix_whiteboard_and_own_linears() -> None:
    at = _learn("matrix")
    assert at.get("latex") and "h[0,0] =" in _text(at)
    at.radio(key="learn.matrix.j").set_value(3).run()
    assert "h[0,3] =" in _text(at)
    frames = at.dataframe
    assert frames and "8×27" in frames[0].value.to_string()


def test_minimum_paths_and_learning_rate() -> None:
    at = _learn("minimum")
    assert "converges" in _text(at)
    at.slider(key="learn.descent.lr").set_value(0.7).run()
    assert "diverges" in _text(at)
    at.slider(key="learn.descent.lr").set_value(0.01).run()
    assert "crawls" in _text(at)
    assert "Train a network first" in _text(at)


def test_dataloader_numbers() -> None:
    at = _learn("loader")
    at.number_input(key="learn.loader.n").set_value(500).run()
    at.number_input(key="learn.loader.batch").set_value(64).run()
    text = _text(at)
    assert "⌈450 / 64⌉ = **8**" in text and "the last one has 2" in text  # 10% held out
    assert "[64, 3, 64, 64]" in text and "exactly once" in text
    at.slider(key="learn.loader.iteration").set_value(8).run()
    assert "shape **[2, 3, 64, 64]**" in _text(at)


def _saved_run(n_train: int, batch: int, val: float) -> str:
    """A run trained for one epoch on Shapes and saved in this test's runs folder: its id."""
    from cnnviz.data.registry import load_dataset
    from cnnviz.train.config import TrainConfig
    from cnnviz.train.engine import build_seeded, fit
    from cnnviz.train.store import RunWriter

    spec = {**TINY, "input": [3, 16, 16]}
    bundle = load_dataset("shapes", size=16, channels=3, n_train=n_train, n_test=20)
    config = TrainConfig.from_dict({"epochs": 1, "batch_size": batch, "val_fraction": val})
    writer = RunWriter(spec, label="counts", root=None)
    events = list(fit(build_seeded(spec, 0), bundle, config, writer=writer))
    assert str(events[-1].status) == "finished", events[-1]
    return writer.path.name


def test_dataloader_uses_the_named_runs_counts() -> None:
    """Learn 6 on a run of 300 Shapes (20 % held out: 240 train) in batches of 50: ⌈240/50⌉ = 5
    iterations, the run's own numbers, not the lesson's 2,000 / 64; the index grid's axes say
    what a cell's place means."""
    run_id = _saved_run(300, 50, 0.2)
    at = _learn("loader", run_id=run_id)
    if at.selectbox(key="learn.network").value != "run":
        at.selectbox(key="learn.network").set_value("run").run()
    text = _text(at)
    assert "⌈240 / 50⌉ = **5**" in text, text
    assert "shuffled **240** items in mini-batches of **50**" in text
    assert at.number_input(key="learn.loader.n").value == 300
    grid = json.loads(
        next(c for c in at.get("plotly_chart") if c.key == "learn.loader.epoch").proto.spec
    )
    axes = grid["layout"]["xaxis"]["title"]["text"], grid["layout"]["yaxis"]["title"]["text"]
    assert "column = index mod" in axes[0] and "row = index ÷" in axes[1], axes


@pytest.mark.parametrize("act", ["none", "relu"])
def test_toy_playground_trains(act: str) -> None:
    at = _learn("toy", spec=PRESETS["mlp-2-3-3-1"].new_spec())
    assert "your design" in _text(at)
    at.segmented_control(key="learn.toy.act").set_value(act).run()
    for _ in range(3):
        at.button(key="learn.toy.step").click().run()
    assert not at.exception, at.exception
    assert "Iteration **30**" in _text(at)
    at.button(key="learn.toy.toggle").click().run()  # Train: plays on a timer in the browser
    assert at.session_state["learn.toy.play"] is True


def test_the_convolution_lesson_steps_through_a_conv_inside_a_block() -> None:
    spec = {
        "input": [1, 8, 8],
        "layers": [
            {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1},
            {
                "type": "residual",
                "layers": [
                    {"type": "relu"},
                    {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "stride": 2,
                     "padding": 1},
                ],
                "shortcut": "conv1x1",
            },
            {"type": "maxpool2d", "kernel_size": 2},
            {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    }  # fmt: skip
    at = _learn("conv", spec)
    picker = at.selectbox(key="learn.conv.layer")
    assert picker.options == ["layer 1: Conv2d(1, 2, kernel_size=3, padding=1)",
                              "layer 2.2: Conv2d(2, 3, kernel_size=3, stride=2, padding=1)"]  # fmt: skip
    picker.set_value("1.1").run()
    assert not at.exception, at.exception
    text = _text(at)
    assert "H_out = W_out = ⌊(8 + 2·1 − 1·(3−1) − 1) / 2⌋ + 1" in text
    # the stepper gets the inner Conv2d's input (after the block's ReLU) and torch's output
    d = _stepper(at)
    c, (h, w), (kh, kw) = len(d["in_channels"]), d["in_size"], d["kernel_size"]
    assert (c, h, w, kh, kw) == (2, 8, 8, 3, 3) and d["out_size"] == [4, 4]
    x, k = _f32(d["input"], 1, c, h, w), _f32(d["kernel"], 1, c, kh, kw)
    assert float(x.min()) >= 0  # the ReLU before it in the block
    ours = F.conv2d(x, k, torch.tensor([d["bias"]]), d["stride"], d["padding"], d["dilation"])
    torch.testing.assert_close(ours[0, 0], _f32(d["output"], 4, 4), rtol=1e-5, atol=1e-5)
