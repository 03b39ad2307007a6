"""The gradients file format: lines written are read back, torn lines are skipped."""

import math

from cnnviz.train.gradients import (
    GRADIENTS_FILE,
    GradRecord,
    Histogram,
    append_records,
    gradient_word,
    read_records,
)


def _rec(layer: str, size: float) -> GradRecord:
    return GradRecord(
        iteration=3,
        epoch=0.25,
        layer=layer,
        kind="Conv2d",
        params=448,
        weight_norm=1.5,
        grad_norm=size * 21,
        grad_mean_abs=size,
        weight_hist=Histogram([-1.0, 0.0, 1.0], [4, 6]),
        grad_hist=Histogram([-2.0, 0.0, 2.0], [1, 2]),
    )


def test_round_trip_and_torn_lines(tmp_path):
    append_records(tmp_path, [_rec("1", 0.01), _rec("3.1", math.inf)])
    with open(tmp_path / GRADIENTS_FILE, "a") as f:
        f.write('{"iteration": 9, "epoch"')  # a line the disk cut short
    got = read_records(tmp_path)
    assert [r.layer for r in got] == ["1", "3.1"]
    assert got[0] == _rec("1", 0.01)
    assert got[0].weight_hist.counts == [4, 6]
    assert math.isnan(got[1].grad_mean_abs)  # written as null, read as "not a number"


def test_missing_file_reads_empty(tmp_path):
    assert read_records(tmp_path) == []


def test_words_at_the_thresholds():
    assert gradient_word(1e-6) == "vanishing"
    assert gradient_word(1e-3) is None
    assert gradient_word(11.0) == "exploding"
    assert gradient_word(math.nan) == "exploding"
