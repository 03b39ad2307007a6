"""python -m cnnviz summary / export: tables, JSON rows, exit codes, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnnviz.cli.main import main
from cnnviz.design.presets import PRESETS
from cnnviz.design.shapes import summarize

ROOT = Path(__file__).resolve().parents[2]


def test_summary_table_for_the_course_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lecture-7-23", "--batch", "2"]) == 0
    out = capsys.readouterr().out
    assert "[2, 12, 29, 29] → [2, 12, 14, 14]" in out
    assert "14.5 → 14: the last row and column are never pooled" in out
    assert "864·1024 + 1024 = 885,760" in out
    assert "899,454 parameters" in out and "output [2, 10]" in out


def test_summary_explain_shows_the_formulas(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lecture-7-23", "--batch", "2", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "H_out = W_out = ⌊(31 + 2·0 − 1·(3−1) − 1) / 1⌋ + 1 = 29" in out
    assert "weights [1024, 864]: (2×864)·(864×1024) → (2×1024)" in out
    assert "receptive field 22 pixels tall, stride product 8" in out


def test_summary_json_is_the_rows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "tiny-vgg", "--json", "--batch", "4"]) == 0
    assert json.loads(capsys.readouterr().out) == summarize(PRESETS["tiny-vgg"].spec, 4)


def test_input_override_and_an_invalid_design(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lecture-7-23", "--input", "3,8,8"]) == 1
    captured = capsys.readouterr()
    assert "not computed" in captured.out
    assert (
        "Layer 6 (MaxPool2d(kernel_size=2)): kernel 2 is larger than the 1×1 input" in captured.err
    )
    assert main(["summary", "mlp-2-3-3-1", "--input", "2", "--json"]) == 0


def test_spec_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "net.json"
    f.write_text(
        '{"input": [1, 28, 28], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}]}'
    )
    assert main(["summary", str(f)]) == 0
    assert "784·10 + 10 = 7850" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summary", "no-such-preset"], "no preset or file called 'no-such-preset'"),
        (["summary", "lenet5", "--input", "3,x,8"], "--input: input must be"),
        (["summary", "lenet5", "--batch", "0"], "batch size must be between 1 and"),
        (["export", "BAD_FILE"], "not valid JSON: Expecting value at line 1, column 1"),
        (["train"], "required: SPEC"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "BAD_FILE").write_text("oops")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_export_prints_runnable_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "lenet5"]) == 0
    code = capsys.readouterr().out
    assert (
        "class Net(nn.Sequential):" in code and "nn.Conv2d(1, 6, kernel_size=5, padding=2)," in code
    )
    assert main(["export", "lenet5", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["input"] == [1, 28, 28]
    assert main(["export", "lenet5", "--format", "url"]) == 0
    assert capsys.readouterr().out.strip().isascii()
    assert main(["export", "lenet5", "--input", "1,4,4"]) == 1


def test_module_entry_point_runs_in_a_fresh_process() -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "cnnviz", "summary", "lenet5", "--input", "1,2,2"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (
        bad.returncode == 1
        and "Traceback" not in bad.stderr
        and "Layer 4 (Conv2d(6, 16" in bad.stderr
    )
