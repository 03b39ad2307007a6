"""Who is in the class: joining, the teacher's unlock, sign-ins, removal (``Classroom``'s part).

``Membership`` is mixed into ``cnnviz.classroom.room.Classroom``, which gives it
``db``, ``_secret``, ``attempts``, ``queue``, ``class_code``, ``teacher_key``,
``runs_root``, ``token_ttl_s`` and ``limits()``. Every join goes through the
computer's tries (``attempts``), the disk floor (``disk``) and the rules of
``people`` (joining open, class size, names); every token names a sign-in that
Sign out, Sign out everywhere or removal deletes.
"""

from __future__ import annotations

import time
from typing import Any

from cnnviz.classroom import disk
from cnnviz.classroom import people as people_mod
from cnnviz.classroom.attempts import Try, client_key
from cnnviz.classroom.entries import EntryState
from cnnviz.classroom.errors import RoomError
from cnnviz.classroom.ownership import Action
from cnnviz.classroom.people import Person, Role, WrongSecret
from cnnviz.classroom.tokens import TokenError, TokenProblem, make_token, read_claims


class Membership:
    """Joining, unlocking, sign-ins and removal, over the classroom's database."""

    db: Any
    _secret: str
    attempts: Any
    queue: Any
    class_code: str
    teacher_key: str
    runs_root: Any
    token_ttl_s: float

    def _guarded(self, kind: Try, client: str | None, attempt):
        """Run ``attempt`` within ``client``'s tries of ``kind`` (``TooMany`` past them).

        ``client`` is the page's client address (``""`` for this computer); ``None`` is
        a call from the server itself (the command line, tests): not counted."""
        who = None if client is None else client_key(client)
        if who is not None:
            self.attempts.check(kind, who)
        try:
            return attempt()
        except WrongSecret:
            if who is not None:
                self.attempts.note(kind, who)
            raise

    def join(self, name: str, code: str = "", *, client: str | None = None) -> Person:
        """A new student (``JoinError`` / ``TooMany`` / ``DiskFull`` say why not)."""
        if client is not None:
            self.attempts.check(Try.JOIN, client_key(client))
        disk.check_floor(self.runs_root)
        person = self._guarded(
            Try.CODE,
            client,
            lambda: people_mod.join(
                self.db,
                name,
                code,
                class_code=self.class_code,
                class_size=self.limits().class_size,
                joining_open=self.joining_open(),
            ),
        )
        if client is not None:
            self.attempts.note(Try.JOIN, client_key(client))
        return person

    def unlock_teacher(self, key: str, *, client: str | None = None) -> Person:
        return self._guarded(
            Try.KEY,
            client,
            lambda: people_mod.unlock_teacher(self.db, key, teacher_key=self.teacher_key),
        )

    def joining_open(self) -> bool:
        return self.db.get_meta("joining_closed") != "1"

    def set_joining(self, person: Person | None, is_open: bool) -> None:
        if person is None or not person.is_teacher:
            raise RoomError("Only the teacher can open or close joining.")
        self.db.set_meta("joining_closed", "0" if is_open else "1")

    def token_for(self, person: Person, *, now: float | None = None) -> str:
        """A new sign-in for ``person`` (Sign out takes it back), as a signed token."""
        self.db.execute(
            "DELETE FROM signins WHERE created < ?", (time.time() - self.token_ttl_s - 60,)
        )
        signin = people_mod.new_signin(self.db, person.id)
        return make_token(person.id, self._secret, ttl_s=self.token_ttl_s, now=now, signin=signin)

    def person_from_token(self, token: str, *, now: float | None = None) -> Person:
        """The person the token was made for; ``TokenError`` if forged, expired, signed out
        or removed."""
        pid, signin, expires = read_claims(token, self._secret, now=now)
        person = people_mod.get_person(self.db, pid)
        if person is None:
            raise TokenError(
                TokenProblem.FORGED, "This sign-in is for someone this class does not know."
            )
        legacy_ok = self.db.get_meta(f"signed_out_everywhere:{pid}") is None
        if not signin and legacy_ok and expires <= self.signins_since() + self.token_ttl_s:
            # made before sign-ins were kept (this server's upgrade): honoured until it
            # expires, so a class is not signed out mid-lesson; the page swaps it for a new one
            self.check_signed_in(person, None)
        else:
            self.check_signed_in(person, signin)
        return person

    def signins_since(self) -> float:
        """When this server began keeping sign-ins (tokens made before name none)."""
        since = self.db.get_meta("signins_since")
        if since is None:
            since = str(time.time())
            self.db.set_meta("signins_since", since)
        return float(since)

    def check_signed_in(self, person: Person, signin: str | None) -> None:
        """``TokenError`` (revoked) when ``person`` was removed or ``signin`` signed out.

        ``signin=None`` checks only that the person is still in the class."""
        fresh = people_mod.get_person(self.db, person.id)
        if fresh is None or fresh.removed is not None:
            raise TokenError(TokenProblem.REVOKED, "The teacher removed this name from the class.")
        if signin is not None and not people_mod.signin_valid(self.db, person.id, signin):
            raise TokenError(TokenProblem.REVOKED, "You were signed out: join again.")

    def signin_of(self, token: str) -> str:
        """The sign-in a genuine token names ("" for a forged, expired or malformed one)."""
        try:
            return read_claims(token, self._secret).signin
        except TokenError:
            return ""

    def sign_out(self, token: str) -> None:
        """End the sign-in this token names (a forged or expired token: nothing to end)."""
        try:
            signin = read_claims(token, self._secret).signin
        except TokenError:
            return
        people_mod.end_signin(self.db, signin)

    def sign_out_everywhere(self, person: Person) -> None:
        """End every sign-in of ``person`` (every browser they joined from)."""
        people_mod.end_all_signins(self.db, person.id)
        self.db.set_meta(f"signed_out_everywhere:{person.id}", str(time.time()))

    def remove_person(self, teacher: Person | None, person_id: str) -> Person:
        """The teacher removes a student: their sign-ins end at once, their waiting jobs
        are cancelled and a running one stopped; their runs stay (under their name)."""
        if teacher is None or not teacher.is_teacher:
            raise RoomError("Only the teacher can remove someone from the class.")
        person = people_mod.get_person(self.db, person_id)
        if person is None or person.is_teacher:
            raise RoomError("That is not a student of this class.")
        people_mod.remove(self.db, person_id)
        for e in self.queue.live_for(person_id):
            if e.state is EntryState.WAITING:
                self.queue.cancel(e.id, teacher)
            else:
                self.queue.control(e.id, teacher, Action.STOP)
        return person

    def check_room_for(self, person: Person | None, nbytes: int = 0) -> None:
        """``DiskFull`` unless ``nbytes`` more of ``person``'s fit (``cnnviz.classroom.disk``)."""
        disk.check_room_for(self, person, nbytes)

    def person(self, person_id: str) -> Person | None:
        return people_mod.get_person(self.db, person_id)

    def students(self, *, removed: bool = False) -> list[Person]:
        return people_mod.people(self.db, Role.STUDENT, removed=removed)


__all__ = ["Membership"]
