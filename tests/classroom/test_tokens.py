"""Tokens: a forged, expired, edited or another server's token never signs anyone in."""

from __future__ import annotations

import base64
import json

import pytest

from cnnviz.classroom.room import Classroom
from cnnviz.classroom.tokens import TokenError, TokenProblem, make_token, new_secret, read_token
from cnnviz.train.jobs import JobRegistry

SECRET = new_secret()


def test_round_trip_and_expiry():
    t = make_token("s-abc123", SECRET, ttl_s=60, now=1000.0)
    assert read_token(t, SECRET, now=1059.0) == "s-abc123"
    with pytest.raises(TokenError) as e:
        read_token(t, SECRET, now=1060.0)
    assert e.value.problem is TokenProblem.EXPIRED and "expired" in str(e.value)


def test_another_servers_token_is_forged():
    t = make_token("s-abc123", new_secret())
    with pytest.raises(TokenError) as e:
        read_token(t, SECRET)
    assert e.value.problem is TokenProblem.FORGED


def _edit_payload(token: str, **changes) -> str:
    payload, sig = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{raw}.{sig}"


@pytest.mark.parametrize("changes", [{"p": "s-other1"}, {"e": 9_999_999_999}])
def test_edited_payload_is_forged(changes):
    t = make_token("s-abc123", SECRET, ttl_s=60)
    with pytest.raises(TokenError) as e:
        read_token(_edit_payload(t, **changes), SECRET)
    assert e.value.problem is TokenProblem.FORGED


@pytest.mark.parametrize("bad", ["", "nodot", "a.b.c", "x" * 600, "%%%.###"])
def test_malformed(bad):
    with pytest.raises(TokenError):
        read_token(bad, SECRET)


def test_room_tokens_name_the_person_and_survive_a_restart(room, tmp_path):
    ada, bob = room.join("Ada"), room.join("Bob")
    ta, tb = room.token_for(ada), room.token_for(bob)
    assert room.person_from_token(ta) == ada and room.person_from_token(tb) == bob
    assert room.person_from_token(ta) != bob
    # the same database after a restart: the secret is kept, so is Ada
    again = Classroom.open(
        tmp_path / "runs", JobRegistry(), environ={"CNNVIZ_TEACHER_KEY": "k"}, dispatcher=False
    )
    try:
        assert again.person_from_token(ta).name == "Ada"
        # a different classroom (another runs folder) does not know the token
        other = Classroom.open(tmp_path / "other", JobRegistry(), environ={}, dispatcher=False)
        with pytest.raises(TokenError):
            other.person_from_token(ta)
        other.close()
    finally:
        again.close()


def test_expired_room_token(room):
    ada = room.join("Ada")
    t = room.token_for(ada, now=0.0)
    with pytest.raises(TokenError) as e:
        room.person_from_token(t)
    assert e.value.problem is TokenProblem.EXPIRED
