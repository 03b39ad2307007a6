"""Predict, then reveal, in a real browser: a teacher and three students, each in their own
browser context and on a different page, play one round of each kind of question to the reveal.

The teacher sends the design, asks (shape, parameter count, linearity, an experiment, their own
multiple choice and number), waits for the three answers on the projector panel and reveals;
each student sees the app's answer and whether they were right, and never another student's
name or answer. The experiment's reveal trains the two variants (1 epoch, 50 Shapes images,
one seed) as the teacher's experiment.
"""

from __future__ import annotations

import re

import pytest

from cnnviz.classroom.question_kinds import TITLES, QuestionKind
from tests.e2e.classroom import class_context, join_class, open_page, unlock_teacher
from tests.e2e.conftest import screenshot_dir, serve_app, wait_idle

KEY = "questions-e2e-key"
LONG = 180_000
NAMES = ("Ada", "Bruno", "Chen")
PAGES = ("design", "train", "learn")


@pytest.fixture(scope="module")
def class_url(browser, tmp_path_factory) -> str:
    env = {
        "CNNVIZ_CLASS": "1",
        "CNNVIZ_TEACHER_KEY": KEY,
        "CNNVIZ_MAX_JOBS": "2",
        "CNNVIZ_TRAIN_IMAGES": "200",
    }
    with serve_app(tmp_path_factory.mktemp("questions"), env) as url:
        yield url


def _select(page, label: str, option: str) -> None:
    """Type the option into the selectbox's search and take it (a click on the list can be
    lost when the live panel below redraws)."""
    box = (  # the one labelled exactly so ("Kind", not a challenge's "Layer kind")
        page.locator('[data-testid="stSelectbox"]')
        .filter(has=page.get_by_text(label, exact=True))
        .first
    )
    for _ in range(5):
        box.click()
        item = page.get_by_role("option", name=option, exact=True)
        try:
            item.click(timeout=5_000)
        except Exception:  # noqa: BLE001  # the list closed as the panel redrew: open it again
            page.keyboard.press("Escape")
            continue
        break
    wait_idle(page)


def _number(page, label: str, value: str) -> None:
    box = page.get_by_role("spinbutton", name=label, exact=True).first
    box.fill(value)
    box.press("Enter")
    wait_idle(page)


def _ask(teacher, kind: QuestionKind, setup=None) -> None:
    _select(teacher, "Kind", TITLES[kind])
    if setup:
        setup(teacher)
    _number(teacher, "Seconds to answer", "600")
    teacher.get_by_role("button", name="Ask the class", exact=True).click()
    teacher.get_by_text("Asked: every student sees it").wait_for(timeout=LONG)


def _answer(page, answer: str, *, pick: bool, shown: str) -> None:
    box = page.locator(".st-key-class_question")
    box.get_by_text("Your teacher asks:").wait_for(timeout=LONG)
    if pick:
        box.get_by_test_id("stRadio").get_by_text(answer, exact=True).click()
    else:
        box.get_by_label("Your answer").fill(answer)
    box.get_by_role("button", name="Answer", exact=True).click()
    box.get_by_text(f"your answer: {shown}").wait_for(timeout=LONG)


def _reveal(teacher) -> None:
    teacher.get_by_text("3 of 3 students answered").wait_for(timeout=LONG)
    teacher.get_by_role("button", name="Reveal", exact=True).click()


def _verdict(page, right: bool | None, wait_ms: int = LONG) -> str:
    box = page.locator(".st-key-class_question")
    box.get_by_text("The right answer:").wait_for(timeout=wait_ms)
    shown = re.search(r"The right answer: (.+)", box.inner_text()).group(1).strip()
    want = {True: "You were right", False: "Not this time"}
    if right is None:  # the experiment decides: either, but one of them
        box.get_by_text(re.compile("You were right|Not this time")).first.wait_for()
    else:
        box.get_by_text(want[right]).wait_for()
    return shown


def _private(students, answers_of: dict[str, str]) -> None:
    """No student sees another student's name, or an answer only another student gave."""
    for me, page in students.items():
        text = page.locator('[data-testid="stMain"]').inner_text()
        side = page.locator('[data-testid="stSidebar"]').inner_text()
        for other in NAMES:
            if other != me:
                assert other not in text and other not in side, (me, other)
        for other, answer in answers_of.items():
            if other != me and answer != answers_of[me]:
                assert f"your answer: {answer}" not in text.lower(), (me, answer)


def test_a_teacher_and_three_students_play_every_kind(browser, class_url) -> None:
    contexts = [class_context(browser) for _ in range(4)]
    try:
        teacher = contexts[0].new_page()
        students = {n: c.new_page() for n, c in zip(NAMES, contexts[1:], strict=True)}
        unlock_teacher(teacher, class_url, KEY, timeout_ms=LONG)
        for (name, page), where in zip(students.items(), PAGES, strict=True):
            join_class(page, class_url, name, where, timeout_ms=LONG)
        open_page(teacher, f"{class_url}/teacher")
        teacher.get_by_role("button", name="Send to class", exact=True).click()
        teacher.get_by_text("Sent: every student sees it").wait_for(timeout=LONG)
        teacher.get_by_text("Ask the class a question").click()
        teacher.get_by_text("Seconds to answer").wait_for()

        # a) a shape of the sent design (lecture-7-23: Conv2d(3, 6, 3) on 3×64×64 -> 6×62×62)
        _ask(teacher, QuestionKind.SHAPE)
        given = {"Ada": "6x62x62", "Bruno": "6 × 64 × 64", "Chen": "(6, 62, 62)"}
        shown = {"Ada": "6×62×62", "Bruno": "6×64×64", "Chen": "6×62×62"}
        for name, page in students.items():
            _answer(page, given[name], pick=False, shown=shown[name])
        _private(students, shown)
        _reveal(teacher)
        assert _verdict(students["Ada"], True).startswith("6×62×62")
        _verdict(students["Bruno"], False)
        _verdict(students["Chen"], True)
        teacher.get_by_text("(2 of 3 right)").wait_for()
        teacher.get_by_text(re.compile(r"⌊\(64 \+ 2·0 − 1·\(3−1\) − 1\) / 1⌋ \+ 1 = 62")).wait_for()

        # a) a parameter count: 6·3·3·3 + 6 = 168
        _ask(teacher, QuestionKind.PARAMS)
        given = {"Ada": "168", "Bruno": "162", "Chen": "168"}
        for name, page in students.items():
            _answer(page, given[name], pick=False, shown=given[name].replace(",", ""))
        _reveal(teacher)
        _verdict(students["Ada"], True)
        _verdict(students["Bruno"], False)
        _verdict(students["Chen"], True)
        teacher.get_by_text("6·3·3·3 + 6 = 168").wait_for()

        # c) is layer 1 (a Conv2d with its bias) linear? The Learn page's check: affine
        _ask(teacher, QuestionKind.LINEAR)
        picks = {"Ada": "affine", "Bruno": "linear", "Chen": "not linear"}
        for name, page in students.items():
            _answer(page, picks[name], pick=True, shown=picks[name])
        _private(students, picks)
        _reveal(teacher)
        assert _verdict(students["Ada"], True) == "affine"
        _verdict(students["Bruno"], False)
        _verdict(students["Chen"], False)

        # d) the teacher's own multiple choice and number
        def choice(t) -> None:
            t.get_by_label("Question", exact=True).fill("Which layer has no weights?")
            t.get_by_label("Options, one per line").fill("ReLU\nConv2d\nLinear")
            t.get_by_label("Options, one per line").press("Control+Enter")
            wait_idle(t)

        _ask(teacher, QuestionKind.CHOICE, choice)
        picks = {"Ada": "Conv2d", "Bruno": "ReLU", "Chen": "ReLU"}
        for name, page in students.items():
            _answer(page, picks[name], pick=True, shown=picks[name].lower())
        _reveal(teacher)
        _verdict(students["Ada"], False)
        _verdict(students["Bruno"], True)
        _verdict(students["Chen"], True)

        def number(t) -> None:
            t.get_by_label("Question", exact=True).fill("How many classes has Shapes?")
            _number(t, "The right number", "10")
            _number(t, "Counts as right within ±", "1")

        _ask(teacher, QuestionKind.NUMBER, number)
        given = {"Ada": "10", "Bruno": "11", "Chen": "3"}
        for name, page in students.items():
            _answer(page, given[name], pick=False, shown=given[name])
        _reveal(teacher)
        _verdict(students["Ada"], True)
        _verdict(students["Bruno"], True)
        _verdict(students["Chen"], False)

        # b) which variant reaches the higher test accuracy: the reveal trains both
        def experiment(t) -> None:
            _number(t, "Epochs", "1")
            _number(t, "Training images (Shapes)", "50")
            _number(t, "Seeds per variant", "1")
            t.get_by_text("This experiment trains 2 networks, 2 epochs in all").wait_for()

        _ask(teacher, QuestionKind.EXPERIMENT, experiment)
        picks = {"Ada": "without BatchNorm2d", "Bruno": "BatchNorm2d after every Conv2d",
                 "Chen": "without BatchNorm2d"}  # fmt: skip
        for name, page in students.items():
            _answer(page, picks[name], pick=True, shown=picks[name].lower())
        _reveal(teacher)
        box = students["Chen"].locator(".st-key-class_question")
        box.get_by_text("Time is up").wait_for(timeout=LONG)  # closed while it trains
        winner = _verdict(students["Ada"], None, wait_ms=600_000)
        assert winner.lower() in {p.lower() for p in picks.values()}
        for name, page in students.items():
            verdict = "You were right" if picks[name].lower() == winner.lower() else "Not this time"
            page.locator(".st-key-class_question").get_by_text(verdict).wait_for(timeout=LONG)
            page.locator(".st-key-class_question").get_by_text("Test accuracy:").first.wait_for()
            # the curves of the experiment's runs, on the student's page too
            page.locator(".st-key-class_question [data-testid='stPlotlyChart']").first.wait_for()
        teacher.get_by_text("Test accuracy: without BatchNorm2d").first.wait_for(timeout=LONG)
        _private(students, picks)
    except Exception:
        for i, c in enumerate(contexts):  # what each one saw, for the failure
            for page in c.pages:
                page.screenshot(path=screenshot_dir() / f"questions-{i}.png", full_page=True)
        raise
    finally:
        for c in contexts:
            c.close()
