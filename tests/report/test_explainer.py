"""The explainer's data, size policy and command line (the browser side is in
tests/e2e/test_explainer_browser.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from cnnviz.cli.main import main
from cnnviz.data.pipeline import Normalization
from cnnviz.design.build import build_preset
from cnnviz.design.presets import PRESETS
from cnnviz.report.content import Embed, Note, _explained
from cnnviz.report.explainer import (
    LIMIT_BYTES,
    report_budget,
)
from cnnviz.report.explainer.page import TooBig, explainer_data, fragment, standalone
from cnnviz.report.explainer.payload import Unsupported, model_payload
from cnnviz.train.store import open_run
from tests.report.explainer_cases import block_models, kind_models

REPO = Path(__file__).resolve().parents[2]
NORM = Normalization.from_dict({"kind": "div255"})


def _data(model: nn.Module, shape: list[int], **kw) -> dict:
    return explainer_data(
        model, shape, classes=[str(i) for i in range(10)], normalization=NORM, **kw
    )


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_fits_the_presentation_and_a_file_of_its_own(preset: str) -> None:
    model, shape = build_preset(preset), list(PRESETS[preset].spec["input"])
    images = {}
    if len(shape) == 3:  # a test set's worth of images of the network's size
        g = torch.Generator().manual_seed(0)
        images = {"test_x": torch.randint(0, 256, (200, *shape), dtype=torch.uint8, generator=g),
                  "test_y": torch.arange(200) % 10}  # fmt: skip
    data = _data(model, shape, budget_bytes=report_budget(), **images)
    in_report = fragment(data)
    assert len(in_report.encode()) <= report_budget()
    if images:  # fewer pictures before fewer digits, but never none
        assert len(data["images"]["labels"]) >= 8
    alone = standalone(_data(model, shape, **images), preset)
    assert len(alone.encode()) <= LIMIT_BYTES
    print(
        f"{preset}: {len(in_report.encode()) / 1e6:.2f} MB in the presentation "
        f"({data['model']['dtype']}), {len(alone.encode()) / 1e6:.2f} MB alone"
    )


def test_float16_when_float32_would_pass_the_limit_and_said_so() -> None:
    model = build_preset("lecture-7-23")  # 899,578 weights: 4.8 MB as float32 in base64
    assert _data(model, [3, 64, 64])["model"]["dtype"] == "float32"
    small = _data(model, [3, 64, 64], budget_bytes=3_000_000)
    assert small["model"]["dtype"] == "float16"
    assert "float16" in small["note"] and "10.0 MB limit" in small["note"]
    with pytest.raises(TooBig, match=r"too big to embed: 2\.4 MB even as float16"):
        _data(model, [3, 64, 64], budget_bytes=1_000_000)


def test_the_presentation_says_when_the_network_is_left_out(monkeypatch, shapes_run: Path) -> None:
    import cnnviz.report.explainer as explainer

    run = open_run(shapes_run)
    model = run.load_model()
    (block,) = _explained(run, model, None, "")
    assert isinstance(block, Embed) and "cnnviz-explainer-data" in block.html
    monkeypatch.setattr(explainer, "report_budget", lambda: 1000)
    (note,) = _explained(run, model, None, "")
    assert isinstance(note, Note)
    assert "too big to embed" in note.text
    assert "the rest of the presentation is exported without it" in note.text
    (missing,) = _explained(run, None, None, "weights.pt is missing")
    assert isinstance(missing, Note) and "weights.pt is missing" in missing.text


def test_payload_names_follow_torch_and_every_weight_is_carried() -> None:
    for name, (model, shape) in {**kind_models(), **block_models()}.items():
        p = model_payload(model, shape)
        carried = p["count"]
        wanted = sum(t.numel() for k, t in model.state_dict().items() if "num_batches" not in k)
        assert carried == wanted, name
        names = json.dumps(p["layers"])
        for n, _ in model.named_children():
            assert f'"name": "{n}"' in names, name


def test_a_module_without_a_forward_pass_in_the_page_is_named() -> None:
    with pytest.raises(Unsupported, match="PixelShuffle has no forward pass in the page"):
        model_payload(nn.Sequential(nn.PixelShuffle(2)), [4, 4, 4])


def test_test_images_are_balanced_and_few(shapes_run: Path) -> None:
    from cnnviz.report.content import load_data
    from cnnviz.report.explainer import for_run

    run = open_run(shapes_run)
    bundle, _ = load_data(run)
    data = for_run(run, run.load_model(), bundle)
    labels = data["images"]["labels"]
    assert 24 <= len(labels) <= 48
    counts = torch.bincount(torch.tensor(labels), minlength=len(run.classes))
    assert int(counts.max() - counts.min()) <= 1  # round-robin over the classes
    assert data["normalization"] == run.normalization.to_dict()


def test_cli_writes_one_offline_file(shapes_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "explained.html"
    done = subprocess.run(
        [sys.executable, "-m", "cnnviz", "export", str(shapes_run), "--format", "explainer", "-o", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert 'id="cnnviz-explainer-data"' in text and "window.cnnvizModel" in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # nothing fetched
    assert str(shapes_run.parent) not in text  # no server path
    assert "MB: open it in a browser, no network needed" in done.stderr


def test_cli_explainer_needs_a_trained_run(shapes_run: Path, tmp_path: Path, capsys) -> None:
    assert main(["export", "lecture-7-23", "--format", "explainer"]) == 2
    assert "--format explainer exports a saved run" in capsys.readouterr().err
    import shutil

    broken = tmp_path / shapes_run.name
    shutil.copytree(shapes_run, broken)
    (broken / "weights.pt").unlink()
    code = main(["export", str(broken), "--format", "explainer", "-o", str(tmp_path / "x.html")])
    err = capsys.readouterr().err
    assert code == 1 and "cannot be exported as an explainer" in err and "weights.pt" in err
    assert "Traceback" not in err


def test_class_names_and_titles_stay_text() -> None:
    model = build_preset("mlp-2-3-3-1")
    evil = "</script><script>alert(1)</script>"
    data = explainer_data(model, [2], classes=[evil], normalization=NORM)
    page = standalone(data, f"<b>{evil}</b>")
    assert evil not in page and "<b>" not in page
    assert "\\u003c/script\\u003e" in page  # the name is in the JSON block, escaped
