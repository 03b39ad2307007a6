"""Each student's own default seed on a class server (pure).

With one seed for everyone, two students who train the teacher's design get the very
same run: the same accuracy, one dot on the leaderboard for the whole class. So a
student's Train form starts at ``student_seed(name)``: a number from 1 to ``MAX_SEED``
worked out from their name (the same name gets the same seed in every session and on
every server), still theirs to change. The teacher, and everyone outside class mode,
keeps ``TrainConfig``'s default.
"""

from __future__ import annotations

import hashlib

MAX_SEED = 999_999  # six digits: easy to read off the projector and to type again


def student_seed(name: str) -> int:
    """A stable seed from 1 to MAX_SEED for ``name`` (case and spacing do not matter)."""
    key = " ".join(str(name).split()).casefold().encode("utf-8")
    digest = hashlib.sha256(b"cnnviz seed\0" + key).digest()
    return 1 + int.from_bytes(digest[:8], "big") % MAX_SEED


__all__ = ["MAX_SEED", "student_seed"]
