"""Predict, then reveal: one answer per student until the deadline, the right answer worked out
by the app per kind (checked against torch and the Learn page's check), the CSV of who answered what."""

from __future__ import annotations

import csv
import io

import pytest
import torch

from cnnviz.classroom.question_kinds import (
    LINEAR_C,
    LINEAR_OPTIONS,
    QuestionError,
    QuestionKind,
    choice_right,
    design_layers,
    experiment_config,
    experiment_data,
    experiment_options,
    linear_right,
    number_right,
    params_right,
    shape_right,
)
from cnnviz.classroom.questions import QState, Questions
from cnnviz.compare.experiments import ExperimentKind
from cnnviz.design.build import build_model
from cnnviz.design.presets import PRESETS
from cnnviz.learn.linearity import check_linearity
from cnnviz.train.request import TrainRequest
from tests.helpers import SHAPES28_SPEC

SENT = PRESETS["lecture-7-23"].spec  # what a teacher sends: Conv2d, ReLU, MaxPool2d, ..., Linear


@pytest.fixture
def qs(room):
    return Questions(room.db)


def _people(room):
    return room.unlock_teacher("key-123"), room.join("Ada"), room.join("Bob")


def test_one_answer_per_student_changeable_until_the_deadline(room, qs):
    teacher, ada, bob = _people(room)
    q = qs.ask(teacher, QuestionKind.CHOICE, "Which?", options=["A", "B", "C"],
               right=choice_right(("A", "B", "C"), "B"), seconds=30, now=1000.0)  # fmt: skip
    assert qs.answer(q.id, ada, "a", now=1001.0) == "a"
    assert qs.answer(q.id, ada, "B", now=1002.0) == "b"  # changed: the last one counts
    qs.answer(q.id, bob, "C", now=1003.0)
    assert sorted(qs.counts(q.id)) == [("b", 1), ("c", 1)]  # one per student, no names
    with pytest.raises(QuestionError, match="Time is up"):
        qs.answer(q.id, bob, "B", now=1030.5)
    assert qs.latest_for(bob.id)[1] == "c"  # the late answer was not counted
    with pytest.raises(QuestionError, match="Pick one of the answers"):
        qs.answer(q.id, ada, "D", now=1004.0)
    with pytest.raises(QuestionError, match="Only students"):
        qs.answer(q.id, teacher, "A", now=1004.0)
    with pytest.raises(QuestionError, match="Only the teacher"):
        qs.ask(ada, QuestionKind.NUMBER, "?", right=number_right(1, 0), seconds=30)


def test_closing_and_revealing_refuse_later_answers_and_say_who_was_right(room, qs):
    teacher, ada, bob = _people(room)
    q = qs.ask(teacher, QuestionKind.NUMBER, "How many?", right=number_right(10, 0.5),
               seconds=60)  # fmt: skip
    qs.answer(q.id, ada, "10.4")
    qs.answer(q.id, bob, "1,000")
    assert qs.get(q.id).right.is_right("10.4") and not qs.get(q.id).right.is_right("1000")
    qs.reveal(q.id, teacher)
    with pytest.raises(QuestionError, match="Time is up"):
        qs.answer(q.id, bob, "10")
    got, mine = qs.latest_for(ada.id)
    assert got.state is QState.REVEALED and got.shown and got.right.is_right(mine)
    assert qs.right_count(got) == 1
    qs.end(q.id, teacher)
    assert qs.latest_for(ada.id) == (None, None)  # off the students' pages


def test_shape_and_params_answers_match_torch_on_the_sent_design(room, qs):
    model = build_model(SENT)
    x = torch.zeros(1, *SENT["input"])
    rows = design_layers(SENT)
    assert rows
    for row, module in zip(rows, model, strict=False):
        x = module(x)
        i = row["index"]
        shape = shape_right(SENT, i)
        assert shape.answers == ("×".join(str(d) for d in x.shape[1:]),)
        assert (
            any(f"= {x.shape[-1]}" in w for w in shape.working)
            or "unchanged" in " ".join(shape.working)
            or len(x.shape) == 2
        )  # the formula filled in, from the shape engine's row
        count = sum(p.numel() for p in module.parameters())
        params = params_right(SENT, i)
        assert params.answers == (str(count),)
        if count:
            assert params.working[0].endswith(f"= {count:,}".replace(",", "")) or str(count) in (
                params.working[0].replace(",", "")
            )
    teacher, ada, _ = _people(room)
    conv = next(r for r in rows if r["type"] == "conv2d")
    q = qs.ask(teacher, QuestionKind.SHAPE, "Shape after layer 1?", seconds=30,
               right=shape_right(SENT, conv["index"]))  # fmt: skip
    want = "×".join(str(d) for d in model[0](torch.zeros(1, *SENT["input"])).shape[1:])
    qs.answer(q.id, ada, "(" + want.replace("×", ", ") + ")")  # any separators
    assert qs.counts(q.id) == [(want, 1)]


def test_linearity_answer_is_the_learn_pages_check(room, qs):
    model = build_model(SENT)
    seen = set()
    for row in design_layers(SENT):
        i = row["index"]
        right = linear_right(SENT, i)
        g = torch.Generator().manual_seed(0)
        shape = [1, *row["input_shape"][1:]]
        a, b = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
        verdict = str(check_linearity(model[i], a, b, LINEAR_C).verdict)
        assert right.answers == (verdict,)
        seen.add(verdict)
    assert {"affine", "not linear"} <= seen  # Conv2d/Linear with a bias; ReLU, MaxPool2d
    assert str(linear_right(SENT, 1).answers[0]) == "not linear"  # ReLU
    teacher, ada, _ = _people(room)
    q = qs.ask(teacher, QuestionKind.LINEAR, "Layer 2 linear?", options=LINEAR_OPTIONS,
               right=linear_right(SENT, 1), seconds=30)  # fmt: skip
    qs.answer(q.id, ada, "linear")
    qs.reveal(q.id, teacher)
    got, mine = qs.latest_for(ada.id)
    assert not got.right.is_right(mine)


def test_experiment_question_is_revealed_by_the_teachers_experiment(room, qs):
    teacher, ada, bob = _people(room)
    cfg = experiment_config({"batch_size": 16, "lr": 0.01, "device": "cpu"}, epochs=1)
    options = experiment_options("batchnorm", SHAPES28_SPEC, cfg)
    assert options == ("without BatchNorm2d", "BatchNorm2d after every Conv2d")
    q = qs.ask(teacher, QuestionKind.EXPERIMENT, "Which is better?", options=options,
               setup={"experiment": "batchnorm"}, seconds=30)  # fmt: skip
    qs.answer(q.id, ada, options[0])
    qs.answer(q.id, bob, options[1])
    with pytest.raises(QuestionError, match="still being worked out"):
        qs.reveal(q.id, teacher)
    data = experiment_data(SHAPES28_SPEC, n_train=64, n_test=32)
    request = TrainRequest(SHAPES28_SPEC, data, cfg, owner=teacher.id, runs_root=room.runs_root)
    done = room.gate.submit_experiment(ExperimentKind.BATCHNORM, request, seeds=1)
    q = qs.revealing(q.id, teacher, done.id)
    assert q.state is QState.REVEALING
    assert qs.settle_experiment(q, done.experiment).state is QState.REVEALING  # still training
    room.queue.dispatch()  # the fixture's dispatcher is off
    assert done.experiment.wait(300) and done.experiment.error is None
    q = qs.settle_experiment(qs.get(q.id), done.experiment)
    assert q.state is QState.REVEALED
    results = done.experiment.arm_results()
    best = max(results, key=lambda r: r.mean)
    assert q.right.is_right(best.label)
    assert done.experiment.reading in q.right.working
    for r in done.experiment.results:  # the teacher's runs
        assert room.run_owner(r.run_id)["owner"] == teacher.id


def test_experiment_data_refuses_a_design_that_does_not_fit_shapes():
    with pytest.raises(QuestionError, match="does not train on Shapes"):
        experiment_data({**SHAPES28_SPEC, "layers": SHAPES28_SPEC["layers"][:-1]}, n_train=8,
                        n_test=8)  # fmt: skip


def test_csv_says_who_answered_what(room, qs):
    teacher, ada, bob = _people(room)
    q1 = qs.ask(teacher, QuestionKind.PARAMS, "=cmd|' /C calc'!A0", seconds=30,
                right=params_right(SENT, 0))  # fmt: skip
    right = params_right(SENT, 0).answers[0]
    qs.answer(q1.id, ada, right)
    qs.answer(q1.id, bob, "7")
    qs.reveal(q1.id, teacher)
    q2 = qs.ask(teacher, QuestionKind.NUMBER, "Guess", right=number_right(3, 0), seconds=30)
    qs.answer(q2.id, bob, "3")
    rows = list(csv.DictReader(io.StringIO(qs.csv_text())))
    assert list(rows[0]) == [
        "round",
        "question",
        "kind",
        "student",
        "answer",
        "right",
        "answered_at",
    ]
    got = [(r["round"], r["kind"], r["student"], r["answer"], r["right"]) for r in rows]
    assert got == [
        (str(q1.id), "params", "Ada", right, "yes"),
        (str(q1.id), "params", "Bob", "7", "no"),
        (str(q2.id), "number", "Bob", "3", ""),  # not revealed yet
    ]
    assert rows[0]["question"].startswith("'=")  # no formula for a spreadsheet
