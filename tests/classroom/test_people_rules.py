"""Who may be in the class: names told apart, tries per computer, sign-ins that end, removal,
class size and closed joining (cnnviz.classroom: people, names, attempts, room)."""

from __future__ import annotations

import pytest

from cnnviz.classroom.attempts import Attempts, Rule, TooMany, Try, client_key
from cnnviz.classroom.entries import EntryState
from cnnviz.classroom.errors import RoomError
from cnnviz.classroom.limits import Limits
from cnnviz.classroom.people import JoinError
from cnnviz.classroom.tokens import TokenError, TokenProblem
from tests.classroom.test_queue import submit, wait_for


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Ａｄａ", "already joined as 'Ada'"),  # full-width: NFKC makes it Ada
        ("ADA", "already joined as 'Ada'"),  # case-folded
        ("Αda", "mixes alphabets"),  # a Greek capital alpha in a Latin name
        ("Аda", "mixes alphabets"),  # a Cyrillic А in a Latin name
        ("Аԁа", "already joined as 'Ada'"),  # all Cyrillic, and it reads "Ada"
        ("Adà", "already joined as 'Ada'"),  # the same name with an accent
        ("Teacher", "kept for the server or the teacher"),
        ("ＡＤＭＩＮ", "kept for the server or the teacher"),
        ("Теасhеr", "mixes alphabets"),
        ("\u0422\u0435\u0430\u0441\u04bb\u0435\u0433", "kept for the server"),  # all Cyrillic
        ("cnnviz", "kept for the server"),
    ],
)
def test_names_are_compared_as_a_reader_sees_them(room, name, words):
    room.join("Ada")
    with pytest.raises(JoinError, match=words):
        room.join(name)
    assert [p.name for p in room.students()] == ["Ada"]


def test_names_in_one_other_alphabet_are_fine(room):
    assert room.join("Ａｌａｎ").name == "Alan"  # stored NFKC-normalised
    assert room.join("Аня").name == "Аня"
    assert room.join("山田はな").name == "山田はな"


def test_sign_out_ends_that_token_only_and_everywhere_ends_all(room):
    ada = room.join("Ada")
    laptop, tablet = room.token_for(ada), room.token_for(ada)
    assert room.person_from_token(laptop) == ada
    room.sign_out(laptop)
    with pytest.raises(TokenError, match="signed out") as e:
        room.person_from_token(laptop)  # the old cookie, presented again
    assert e.value.problem is TokenProblem.REVOKED
    assert room.person_from_token(tablet) == ada  # another browser stays signed in
    room.sign_out_everywhere(ada)
    with pytest.raises(TokenError, match="signed out"):
        room.person_from_token(tablet)


def test_removing_a_student_ends_their_tokens_and_queued_job_keeps_runs(room):
    teacher, ada, bob = room.unlock_teacher("key-123"), room.join("Ada"), room.join("Bob")
    token = room.token_for(bob)
    running = submit(room, ada)  # jobs at once: 1, so Bob waits
    waiting = submit(room, bob)
    assert room.queue.entry(waiting.id).state is EntryState.WAITING
    room.claim_run("old-run-of-bob", bob)
    with pytest.raises(RoomError, match="Only the teacher"):
        room.remove_person(ada, bob.id)
    room.remove_person(teacher, bob.id)
    with pytest.raises(TokenError, match="removed") as e:
        room.person_from_token(token)
    assert e.value.problem is TokenProblem.REVOKED
    assert room.queue.entry(waiting.id).state is EntryState.CANCELLED
    assert room.run_owner("old-run-of-bob")["owner_name"] == "Bob"  # runs are kept
    assert [p.name for p in room.students()] == ["Ada"]
    assert room.join("Bob").id != bob.id  # the name is free again (a new person)
    room.remove_person(teacher, ada.id)  # a running job is stopped
    wait_for(lambda: room.queue.job(running.id).done)


def test_class_size_and_closed_joining(room):
    teacher = room.unlock_teacher("key-123")
    room.set_limits(teacher, Limits.from_dict({"class_size": 2}, room.limits()))
    ada, _ = room.join("Ada"), room.join("Bob")
    with pytest.raises(JoinError, match=r"The class is full \(2 students\)"):
        room.join("Cy")
    room.remove_person(teacher, ada.id)  # a seat is free again
    room.join("Cy")
    with pytest.raises(RoomError, match="Only the teacher"):
        room.set_joining(ada, False)
    room.set_joining(teacher, False)
    room.set_limits(teacher, Limits.from_dict({"class_size": 10}, room.limits()))
    with pytest.raises(JoinError, match="closed joining"):
        room.join("Dee")
    room.set_joining(teacher, True)
    assert room.join("Dee").name == "Dee"


def test_class_size_from_the_environment():
    assert Limits.from_env({"CNNVIZ_CLASS_SIZE": "25"}).class_size == 25
    assert Limits.from_env({"CNNVIZ_STUDENT_DISK_MB": "50"}).student_disk_mb == 50


def test_joins_per_computer_are_limited_with_the_wait(room):
    for name in ("A1x", "B2x", "C3x"):
        room.join(name, client="10.0.0.7")
    with pytest.raises(TooMany, match=r"Too many tries from this computer: try again in \d+ s"):
        room.join("D4x", client="10.0.0.7")
    assert room.join("D4x", client="10.0.0.8").name == "D4x"  # another computer
    assert len(room.students()) == 4


def test_wrong_keys_and_codes_are_limited_per_computer(room):
    for _ in range(5):
        with pytest.raises(JoinError, match="not the teacher key"):
            room.unlock_teacher("guess", client="10.0.0.7")
    with pytest.raises(TooMany):
        room.unlock_teacher("key-123", client="10.0.0.7")  # even the right key, for now
    assert room.unlock_teacher("key-123", client="10.0.0.9").is_teacher
    room.class_code = "owl"
    for code in ("cat", "dog", "emu", "fox", "gnu"):
        with pytest.raises(JoinError, match="class code"):
            room.join("Ada", code, client="10.0.0.5")
    with pytest.raises(TooMany):
        room.join("Ada", "owl", client="10.0.0.5")
    # a mistyped name costs no try
    for _ in range(8):
        with pytest.raises(JoinError, match="letters"):
            room.join("<b>", "owl", client="10.0.0.6")


def test_attempts_window_slides():
    now = [0.0]
    a = Attempts({Try.KEY: Rule(2, 60.0)}, clock=lambda: now[0])
    a.note(Try.KEY, "x")
    now[0] = 20.0
    a.note(Try.KEY, "x")
    with pytest.raises(TooMany) as e:
        a.check(Try.KEY, "x")
    assert e.value.wait_s == 40 and "try again in 40 s" in str(e.value)
    now[0] = 60.0
    a.check(Try.KEY, "x")  # the first try has left the window


def test_client_keys():
    assert client_key(None) == client_key("") == "local"
    assert client_key("10.1.2.3") == "10.1.2.3"
    assert client_key("2001:db8::1") == client_key("2001:db8::ffff") == "2001:db8::/64"
    assert client_key("::ffff:10.1.2.3") == "10.1.2.3"


def test_a_token_from_before_sign_ins_were_kept_works_until_it_expires(room):
    from cnnviz.classroom.tokens import make_token

    ada = room.join("Ada")
    old = make_token(ada.id, room._secret, ttl_s=3600)  # as the server made them before
    assert room.person_from_token(old) == ada  # a class is not signed out by an upgrade
    assert room.signin_of(old) == ""  # the page swaps it for a token with a sign-in
    later = make_token(ada.id, room._secret, ttl_s=room.token_ttl_s + 7200)
    with pytest.raises(TokenError, match="signed out"):
        room.person_from_token(later)  # made after the upgrade: it must name a sign-in
    room.sign_out_everywhere(ada)
    with pytest.raises(TokenError, match="signed out"):
        room.person_from_token(old)
