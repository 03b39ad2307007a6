"""Experiments: their arms, the reading of what the runs show, and running them as normal jobs."""

from __future__ import annotations

import threading

import pytest

from cnnviz.compare.experiments import (
    ArmResult,
    ExperimentError,
    ExperimentKind,
    beyond_noise,
    make_arms,
    reading,
)
from cnnviz.compare.runner import ExperimentRun, experiment_of, manifests
from cnnviz.train.config import TrainConfig
from cnnviz.train.jobs import JobRegistry
from cnnviz.train.request import TrainRequest
from tests.helpers import TINY_SPEC, tiny_bundle

CFG = TrainConfig(epochs=1, batch_size=32, lr=0.01, device="cpu")


def test_arms_change_one_thing_each():
    norm = make_arms("normalization", TINY_SPEC, CFG)
    assert [str(a.config.normalize) for a in norm] == ["none", "div255", "standardize"]
    assert all(
        a.config.with_(normalize="standardize") == CFG.with_(normalize="standardize") for a in norm
    )
    lr = make_arms(ExperimentKind.LEARNING_RATE, TINY_SPEC, CFG)
    assert [a.config.lr for a in lr] == [0.001, 0.01, 0.1]
    bn = make_arms("batchnorm", TINY_SPEC, CFG)
    assert [x["type"] for x in bn[1].spec["layers"]][:2] == ["conv2d", "batchnorm2d"]
    assert bn[0].spec["layers"] == TINY_SPEC["layers"]
    sizes = make_arms("batch-size", TINY_SPEC, CFG)
    assert [a.config.batch_size for a in sizes] == [8, 32, 128]
    assert {a.config.epochs for a in sizes} == {1}
    ep = make_arms("epochs", TINY_SPEC, CFG.with_(epochs=3))
    assert len(ep) == 1 and ep[0].config.epochs == 6 and ep[0].mark_epoch == 3
    with pytest.raises(ExperimentError, match="no Conv2d"):
        make_arms(
            "batchnorm", {"input": [4], "layers": [{"type": "linear", "out_features": 2}]}, CFG
        )


def _arms(*means_by_label, spread=0.0):
    out = []
    for label, mean in means_by_label:
        accs = (mean,) if not spread else (mean - spread, mean, mean + spread)
        out.append(
            ArmResult(label, accs if mean is not None else (), failed=0 if mean is not None else 1)
        )
    return out


def test_normalization_reading_when_raw_pixels_win_with_adam_says_it_contradicts_and_why():
    # the numbers: raw 68.2 %, ÷255 48.2 % (Adam)
    res = _arms(("none (0–255)", 0.682), ("÷255", 0.482), ("standardize", 0.60))
    text, variant = reading("normalization", res, CFG.with_(optimizer="adam"))
    assert text.startswith("Test accuracy: none (0–255) 68.2%; ÷255 48.2%; standardize 60.0%.")
    assert "contradicts the course" in text and "Adam" in text and "SGD" in text
    assert variant == {"optimizer": "sgd", "lr": 0.01}
    assert text.count(". ") == 1 and text.endswith(".")  # two sentences: the facts, then why


def test_normalization_reading_agrees_only_when_the_runs_show_it():
    agree = _arms(("none (0–255)", 0.40), ("÷255", 0.80), ("standardize", 0.82))
    text, variant = reading("normalization", agree, CFG.with_(optimizer="sgd"))
    assert "As the course says" in text and variant is None
    # within the spread of the seeds: no claim either way
    close = _arms(("none (0–255)", 0.50), ("÷255", 0.51), ("standardize", 0.505), spread=0.03)
    text, _ = reading("normalization", close, CFG.with_(optimizer="sgd"))
    assert "As the course says" not in text and "within the spread" in text
    assert "± 3.0 over 3 seeds" in text


def test_batchnorm_and_learning_rate_readings_follow_the_numbers():
    text, variant = reading("batchnorm", _arms(("without", 0.9), ("with", 0.7)), CFG)
    assert "does not show" in text and variant == {"optimizer": "sgd", "lr": 0.1}
    text, variant = reading("batchnorm", _arms(("without", 0.6), ("with", 0.9)), CFG)
    assert "helped" in text and variant is None
    text, _ = reading(
        "learning-rate", _arms(("lr 0.001", 0.5), ("lr 0.01", 0.9), ("lr 0.1", None)), CFG
    )
    assert "middle rate was best" in text and "lr 0.1 diverged" in text
    text, _ = reading(
        "learning-rate", _arms(("lr 0.001", 0.5), ("lr 0.01", 0.6), ("lr 0.1", 0.8)), CFG
    )
    assert "largest rate was best" in text


def test_experiment_runs_one_job_at_a_time_through_the_registry_cap(tmp_path):
    reg = JobRegistry(max_live=1)
    live_counts, lock = [], threading.Lock()

    def start_job(request):
        job = reg.start(request)
        with lock:
            live_counts.append(len(reg.live()))
        return job

    blocker = reg.start(
        TrainRequest(
            TINY_SPEC, tiny_bundle(), CFG.with_(epochs=3), runs_root=tmp_path, label="other"
        )
    )
    request = TrainRequest(TINY_SPEC, tiny_bundle(), CFG, runs_root=tmp_path)
    exp = ExperimentRun("normalization", request, start_job, repeats=2, poll_s=0.05)
    exp.start()
    assert exp.wait(120), "the experiment did not end"
    assert blocker.done and exp.error is None
    assert max(live_counts) == 1  # never more than the cap, waiting while the other job ran
    assert len(exp.results) == 6 and [r.seed for r in exp.results] == [0, 1] * 3
    assert {r.status for r in exp.results} == {"finished"}
    assert exp.reading and exp.reading.startswith("Test accuracy: none (0–255) ")
    m = manifests(tmp_path)[0]
    assert m["kind"] == "normalization" and len(m["runs"]) == 6
    assert experiment_of(exp.run_ids, tmp_path)["id"] == exp.id
    assert experiment_of(exp.run_ids[:2], tmp_path) is None


def test_cancel_stops_the_running_job_and_the_rest(tmp_path):
    reg = JobRegistry(max_live=2)
    request = TrainRequest(TINY_SPEC, tiny_bundle(), CFG.with_(epochs=50), runs_root=tmp_path)
    exp = ExperimentRun("learning-rate", request, reg.start, poll_s=0.05)
    exp.start()
    for _ in range(200):
        if exp.current is not None:
            break
        threading.Event().wait(0.05)
    exp.cancel()
    assert exp.wait(60)
    assert len(exp.results) <= 1 and all(r.status == "stopped" for r in exp.results)
    assert reg.live() == []


def test_a_mixed_normalization_result_with_adam_says_only_partly_and_offers_sgd():
    res = _arms(("none (0–255)", 0.60), ("÷255", 0.48), ("standardize", 0.70))
    text, variant = reading("normalization", res, CFG.with_(optimizer="adam"))
    assert "Only partly" in text and "÷255 did worse" in text and "Adam" in text
    assert variant == {"optimizer": "sgd", "lr": 0.01}


def test_normalization_reading_on_the_classs_figures_is_true_of_all_three_arms():
    """Adam, 3 seeds: none 93.7 ± 2.2, ÷255 84.4 ± 4.6, standardize 95.3 ± 0.6 (a class's run).

    Standardize was best, so the reading may not say the runs contradict the course; its lead
    over raw is within the seeds' noise, and ÷255 is worse than both beyond it."""

    def arm(label, mean, sd):
        return ArmResult(label, (mean - sd, mean, mean + sd))

    res = [
        arm("none (0–255)", 0.937, 0.022),
        arm("÷255", 0.844, 0.046),
        arm("standardize", 0.953, 0.006),
    ]
    text, variant = reading("normalization", res, CFG.with_(optimizer="adam"))
    assert "contradicts" not in text and "As the course says" not in text
    assert "standardize was best" in text
    assert "lead over the raw 0–255 pixels (1.6 points) is within the spread" in text
    assert "÷255 did worse than raw, beyond the spread" in text and text.count(". ") == 1
    assert variant == {"optimizer": "sgd", "lr": 0.01}  # Adam hides it: SGD shows the effect
    assert beyond_noise(res[1], res[0]) and beyond_noise(res[1], res[2])
    assert not beyond_noise(res[2], res[0])
