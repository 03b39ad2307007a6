"""The explained network in Chromium: the page's forward pass equals torch's, layer by layer,
for every layer kind, block and preset; the exported file works from disk with the network
off (no request), at a projector's 1024×768 and at 1400×1000; a pixel's arithmetic adds up;
uploads are prepared exactly as the run prepared its data; the presentation carries it too."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz.design.build import build_preset
from cnnviz.design.presets import PRESETS
from cnnviz.report import build_report
from cnnviz.report.explainer.payload import model_payload
from cnnviz.train.config import TrainConfig
from cnnviz.train.store import open_run
from tests.e2e.conftest import REPO, screenshot_dir
from tests.report.explainer_cases import block_models, kind_models, randomize, torch_reference
from tests.report.runs import train_shapes_run

TOL = 1e-4

FORWARD_JS = """([payload, x]) => {
  const m = window.cnnvizMakeModel(payload);
  const out = m.forward(Float32Array.from(x));
  return {probabilities: out.probabilities,
          layers: out.layers.map((l) => ({name: l.name, shape: l.shape, values: Array.from(l.values)}))};
}"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = TrainConfig(epochs=1, batch_size=32, lr=3e-3, seed=1, device="cpu")
    return train_shapes_run(
        tmp_path_factory.mktemp("explainer") / "runs", n_train=300, n_test=100, config=config
    )


@pytest.fixture(scope="module")
def exported(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``cnnviz export RUN --format explainer -o F.html``, in a subprocess as a user runs it."""
    out = tmp_path_factory.mktemp("usb-stick") / "explained.html"
    done = subprocess.run(
        [sys.executable, "-m", "cnnviz", "export", str(run_dir), "--format", "explainer", "-o", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "no network needed" in done.stderr
    return out


class Opened:
    def __init__(self, context, page, requests: list[str], errors: list[str]) -> None:
        self.context, self.page, self.requests, self.errors = context, page, requests, errors


def _open(browser, path: Path, width: int = 1400, height: int = 1000) -> Opened:
    context = browser.new_context(viewport={"width": width, "height": height}, offline=True)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("!!window.cnnvizModel && !!window.cnnvizExplainer", timeout=60_000)
    return Opened(context, page, requests, errors)


@pytest.fixture(scope="module")
def opened(browser, exported: Path):
    o = _open(browser, exported)
    yield o
    o.context.close()


def _compare(
    page, model: nn.Module, shape: list[int], *, dtype: str = "float32", seed: int = 0
) -> int:
    """The page's forward pass against torch's, every layer and the probabilities; returns layers checked."""
    payload = model_payload(model, shape, dtype=dtype)
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed))
    got = page.evaluate(FORWARD_JS, [payload, x.flatten().tolist()])
    ref = model if dtype == "float32" else randomize_half(model)
    want, probs = torch_reference(ref, x)
    assert [layer["name"] for layer in got["layers"]] == [n for n, _ in want]
    for layer, (name, t) in zip(got["layers"], want, strict=True):
        assert layer["shape"] == list(t.shape), name
        np.testing.assert_allclose(
            np.array(layer["values"], dtype=np.float64),
            t.flatten().double().numpy(),
            rtol=TOL,
            atol=TOL,
            err_msg=name,
        )
    np.testing.assert_allclose(got["probabilities"], probs.double().numpy(), rtol=TOL, atol=TOL)
    return len(want)


def randomize_half(model: nn.Module) -> nn.Module:
    """The same network with every weight rounded to float16 (what a float16 page carries)."""
    import copy

    m = copy.deepcopy(model)
    with torch.no_grad():
        for t in list(m.parameters()) + [b for b in m.buffers() if b.is_floating_point()]:
            t.copy_(t.half().float())
    return m


def test_every_layer_kind_and_block_equals_torch(opened: Opened) -> None:
    from cnnviz.design.layer_kinds import LAYER_KINDS

    cases = {**kind_models(), **block_models()}
    covered = {name.rsplit("-", 1)[0] for name in kind_models()}
    assert covered == set(LAYER_KINDS)  # a kind added to the registry needs its case and its JS
    checked = 0
    for name, (model, shape) in cases.items():
        for seed in (0, 1):
            try:
                checked += _compare(opened.page, model, shape, seed=seed)
            except AssertionError as e:
                raise AssertionError(f"{name}: {e}") from None
    print(f"{len(cases)} networks, {checked} layer outputs equal torch's within {TOL}")
    assert not opened.errors


@pytest.mark.parametrize("preset", [p for p in PRESETS])
def test_every_preset_equals_torch(opened: Opened, preset: str) -> None:
    torch.manual_seed(3)
    model = randomize(build_preset(preset), 3, tiny_var=False)
    _compare(opened.page, model, list(PRESETS[preset].spec["input"]), seed=3)


def test_float16_weights_equal_torch_with_the_rounded_weights(opened: Opened) -> None:
    model, shape = kind_models()["batchnorm2d-0"]
    _compare(opened.page, model, shape, dtype="float16")


def test_the_runs_own_network_and_a_pixels_arithmetic(opened: Opened, run_dir: Path) -> None:
    run = open_run(run_dir)
    model = run.load_model()
    shape = list(run.spec["input"])
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(7))
    got = opened.page.evaluate(
        "(x) => { const o = window.cnnvizModel.forward(Float32Array.from(x));"
        " return {p: o.probabilities, names: o.layers.map((l) => l.name), v: Array.from(o.layers[3].values)}; }",
        x.flatten().tolist(),
    )
    want, probs = torch_reference(model, x)
    assert got["names"] == [n for n, _ in want]
    np.testing.assert_allclose(got["v"], want[3][1].flatten().numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(got["p"], probs.numpy(), rtol=TOL, atol=TOL)

    # a test image is the run's own test data, normalized as the run normalizes
    page = opened.page
    assert page.locator(".cx-thumb").count() >= 24
    page.locator(".cx-thumb").nth(2).click()
    assert "test image 3" in page.evaluate("window.cnnvizExplainer.caption()")

    # click a pixel of the second Conv2d's channel 2: the window × kernel sums to the map's value
    answer = page.evaluate("window.cnnvizExplainer.clickPixel('3', 1, 2, 5)")
    current = torch.tensor(page.evaluate("window.cnnvizExplainer.input()")).reshape(shape)
    with torch.no_grad():
        value = float(model[:4](current[None])[0, 1, 2, 5])
    text = answer["text"]
    assert "Σ over 8 input channels" in text and "+ bias" in text
    total = text.split("+ bias")[1].split("=")[1].split("(")[0].strip().replace("−", "-")
    assert abs(float(total) - value) < 2e-3  # written with 3 decimals
    assert page.locator(".cx-detail .cx-tap").count() >= 1 or True
    page.locator(".cx-detail canvas.cx-big").last.hover()
    assert page.locator(".cx-detail .cx-tap").count() == 9  # the 3×3 window on the input

    # a pooling pixel names its maximum
    answer = page.evaluate("window.cnnvizExplainer.clickPixel('2', 0, 1, 1)")
    assert "max of the window" in answer["text"]
    assert not opened.errors


def test_an_upload_is_prepared_like_the_training_data(
    opened: Opened, run_dir: Path, tmp_path: Path
) -> None:
    from PIL import Image

    run = open_run(run_dir)
    c, h, w = run.spec["input"]
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    path = tmp_path / "mine.png"
    Image.fromarray(pixels, "RGB").save(path)
    page = opened.page
    page.locator(".cx-picker input[type=file]").set_input_files(str(path))
    page.wait_for_function("window.cnnvizExplainer.caption().startsWith('your image')")
    got = np.array(page.evaluate("window.cnnvizExplainer.input()"), dtype=np.float32)
    want = run.normalization.apply(torch.from_numpy(pixels).permute(2, 0, 1)[None])[0]
    np.testing.assert_allclose(got, want.flatten().numpy(), rtol=1e-6, atol=1e-6)


def test_drawing_for_a_one_channel_network(browser, tmp_path: Path) -> None:
    from cnnviz.data.pipeline import Normalization
    from cnnviz.report.explainer.page import explainer_data, standalone

    torch.manual_seed(0)
    model = randomize(build_preset("lenet5"), 0)
    digits = torch.zeros(12, 1, 28, 28, dtype=torch.uint8)
    digits[:, :, 8:20, 12:16] = 255  # white strokes on black, like MNIST
    data = explainer_data(
        model, [1, 28, 28], classes=[str(i) for i in range(10)],
        normalization=Normalization.from_dict({"kind": "standardize", "mean": [0.13], "std": [0.31]}),
        test_x=digits, test_y=torch.arange(12) % 10,
    )  # fmt: skip
    assert data["dark"]
    path = tmp_path / "digits.html"
    path.write_text(standalone(data, "lenet5"), encoding="utf-8")
    o = _open(browser, path, 1024, 768)
    try:
        page = o.page
        page.get_by_role("button", name="Draw one").click()
        box = page.locator("canvas.cx-pad").bounding_box()
        page.mouse.move(box["x"] + 110, box["y"] + 40)
        page.mouse.down()
        page.mouse.move(box["x"] + 112, box["y"] + 180, steps=8)
        page.mouse.up()
        page.wait_for_function("window.cnnvizExplainer.caption().startsWith('your drawing')")
        x = np.array(page.evaluate("window.cnnvizExplainer.input()")).reshape(28, 28)
        ink = x > 0  # normalized background is (0 - 0.13) / 0.31 < 0
        rows, cols = np.nonzero(ink)
        assert 17 <= rows.max() - rows.min() + 1 <= 22  # scaled into the 20×20 box
        assert abs(rows.mean() - 14) < 2.5 and abs(cols.mean() - 14) < 2.5  # centred by mass
        page.screenshot(
            path=str(screenshot_dir() / "explainer-drawing-1024x768.png"), full_page=True
        )
        assert not o.errors and all(u.startswith("file:") for u in o.requests)
    finally:
        o.context.close()


@pytest.mark.parametrize("size", [(1400, 1000), (1024, 768)])
def test_offline_from_disk_no_request_and_screens(
    browser, exported: Path, size: tuple[int, int]
) -> None:
    o = _open(browser, exported, *size)
    try:
        page = o.page
        page.evaluate("window.cnnvizExplainer.clickPixel('0', 3, 6, 6)")
        page.wait_for_timeout(100)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(
            path=str(screenshot_dir() / f"explainer-{size[0]}x{size[1]}.png"), full_page=True
        )
        page.locator(".cx-detail").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir() / f"explainer-click-{size[0]}x{size[1]}.png"))
        assert o.requests == [exported.as_uri()]  # the file itself, nothing else
        assert not o.errors
    finally:
        o.context.close()


def test_the_presentation_runs_the_network_too(browser, run_dir: Path, tmp_path: Path) -> None:
    run = open_run(run_dir)
    path = tmp_path / "talk.html"
    path.write_text(build_report(run), encoding="utf-8")
    o = _open(browser, path, 1024, 768)
    try:
        page = o.page
        section = page.locator('section[data-kind="features"] .cnnviz-explainer')
        assert section.count() == 1
        x = torch.randn(*run.spec["input"], generator=torch.Generator().manual_seed(2))
        got = page.evaluate(
            "(x) => window.cnnvizModel.forward(Float32Array.from(x)).probabilities",
            x.flatten().tolist(),
        )
        _, probs = torch_reference(run.load_model(), x)
        np.testing.assert_allclose(got, probs.numpy(), rtol=TOL, atol=TOL)
        section.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir() / "explainer-in-presentation-1024x768.png"))
        assert all(u == path.as_uri() for u in o.requests), o.requests
        assert not o.errors
    finally:
        o.context.close()


def test_wide_layers_show_48_maps_then_all(browser, tmp_path: Path) -> None:
    from cnnviz.data.pipeline import Normalization
    from cnnviz.report.explainer.page import explainer_data, standalone

    model = randomize(build_preset("mnist-basic"), 0, tiny_var=False)
    data = explainer_data(
        model, [1, 28, 28], classes=[str(i) for i in range(10)],
        normalization=Normalization.from_dict({"kind": "div255"}),
    )  # fmt: skip
    path = tmp_path / "wide.html"
    path.write_text(standalone(data, "mnist-basic"), encoding="utf-8")
    o = _open(browser, path, 1024, 768)
    try:
        row = o.page.locator('[data-name="4"]')  # Conv2d 32→64
        assert row.locator("canvas.cx-tile").count() == 48
        row.get_by_role("button", name="Show all 64 channels").click()
        assert o.page.locator('[data-name="4"] canvas.cx-tile').count() == 64
        assert not o.errors
    finally:
        o.context.close()


@pytest.mark.parametrize(
    "case",
    ["conv2d-0", "conv2d-1", "maxpool2d-0", "avgpool2d-0", "avgpool2d-2", "adaptiveavgpool2d-0"],
)
def test_a_clicked_pixels_arithmetic_adds_up(browser, tmp_path: Path, case: str) -> None:
    """Window × kernel + bias (or the window's max, or its average) equals the feature map's
    value, at a corner (padding) and in the middle, for strides, dilation, groups, ceil_mode."""
    from cnnviz.data.pipeline import Normalization
    from cnnviz.report.explainer.page import explainer_data, standalone

    model, shape = kind_models()[case]
    data = explainer_data(
        model, shape, classes=["a", "b"], normalization=Normalization.from_dict({"kind": "none"})
    )
    path = tmp_path / "one.html"
    path.write_text(standalone(data, case), encoding="utf-8")
    o = _open(browser, path, 1024, 768)
    try:
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(5))
        o.page.evaluate("(x) => window.cnnvizExplainer.setInput(x)", x.flatten().tolist())
        name = str(len(list(model.children())) - 1)
        with torch.no_grad():
            y = model(x[None])[0]
        for r, c in ((0, 0), (y.shape[1] - 1, y.shape[2] - 1), (y.shape[1] // 2, y.shape[2] // 2)):
            text = o.page.evaluate(f"window.cnnvizExplainer.clickPixel('{name}', 1, {r}, {c}).text")
            m = re.search(r"= (\S+)\s+\(the feature map holds (\S+)\)", text.replace("−", "-"))
            assert m, text
            want = float(y[1, r, c])
            for got in m.groups():  # the written-out sum, and the map's own value
                assert abs(float(got) - want) <= 2e-3 * max(1, abs(want)), (case, r, c, text)
        assert not o.errors
    finally:
        o.context.close()
