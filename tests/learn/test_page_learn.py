"""The Learn page in AppTest: every lesson draws on the current design (random weights, said
so) and on a trained run; stepping a convolution; the toy playground trains."""

from __future__ import annotations

import pytest
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


def test_convolution_steps_and_sums_to_the_activation() -> None:
    at = _learn("conv")
    text = _text(at)
    assert "random weights" in text
    assert "row 0, column 0" in text and "✓ equals the captured activation" in text
    assert "H_out = W_out = ⌊(12 + 2·1 − 1·(3−1) − 1) / 2⌋ + 1 = ⌊5.5⌋ + 1 = 6" in text
    at.button(key="learn.conv.pos.next").click().run()
    assert "row 0, column 1" in _text(at)
    at.button(key="learn.conv.pos.prev").click().run()
    at.button(key="learn.conv.pos.prev").click().run()
    assert "row 5, column 5" in _text(at)  # wraps to the last pixel of the 6×6 map
    assert "✓ equals" in _text(at)
    at.button(key="learn.conv.pos.toggle").click().run()  # Play: each timer tick is one rerun here
    assert at.session_state["learn.conv.pos.play"] is True
    assert "row 0, column 0" in _text(at)  # from the last pixel, wrapped round by ◀◀ above
    at.run()
    assert "row 0, column 1" in _text(at) and "✓ equals" in _text(at)
    at.button(key="learn.conv.pos.toggle").click().run()  # Pause
    assert at.session_state["learn.conv.pos.play"] is False
    assert [c.key for c in at.get("plotly_chart")][:3] == [
        "learn.conv.window",
        "learn.conv.output",
        "learn.conv.numbers",
    ]


def test_max_pool_step_and_mult_adds_saved() -> None:
    at = _learn("pool")
    text = _text(at)
    assert "✓ equals torch's output" in text and "fewer" in text and "Linear(27, 8)" in text


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
    assert "✓ equals the captured activation" in text  # the window × kernel + bias, inside a skip
    assert "H_out = W_out = ⌊(8 + 2·1 − 1·(3−1) − 1) / 2⌋ + 1" in text
