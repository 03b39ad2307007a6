"""Who may do what to a job or a run: its owner and the teacher act.

Every action a page offers on a job or a run goes through ``check(person,
action, owner_id, owner_name)``, which raises ``NotAllowed`` (a message for the
page) unless the person may. Seeing a run is not decided here: it also depends on
whether the run is shared with the class, so ``cnnviz.classroom.run_access`` is the
one rule for it (``VIEW`` here is the owner's or the teacher's, like every action).
"""

from __future__ import annotations

from enum import StrEnum

from cnnviz.classroom.people import Person


class Action(StrEnum):
    VIEW = "view"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    CANCEL = "cancel"  # take a waiting job out of the queue
    MOVE = "move"  # change a waiting job's place in the queue (teacher only)
    DELETE = "delete"  # a run
    RENAME = "rename"  # a run
    SHARE = "share"  # a run, to the class gallery


TEACHER_ONLY = frozenset({Action.MOVE})
_VERB = {
    Action.VIEW: "open",
    Action.PAUSE: "pause",
    Action.RESUME: "resume",
    Action.STOP: "stop",
    Action.CANCEL: "cancel",
    Action.MOVE: "move",
    Action.DELETE: "delete",
    Action.RENAME: "rename",
    Action.SHARE: "share",
}


class NotAllowed(PermissionError):
    """The person may not do this; the text says whose it is."""


def allowed(person: Person | None, action: Action, owner_id: str | None) -> bool:
    """True when ``person`` may do ``action`` to something ``owner_id`` owns."""
    action = Action(action)
    if person is None:
        return False
    if person.is_teacher:
        return True
    if action in TEACHER_ONLY:
        return False
    return owner_id is not None and person.id == owner_id


def check(
    person: Person | None, action: Action, owner_id: str | None, owner_name: str = ""
) -> None:
    """``NotAllowed`` unless ``allowed(...)``."""
    action = Action(action)
    if allowed(person, action, owner_id):
        return
    if person is None:
        raise NotAllowed("Join the class first.")
    if action in TEACHER_ONLY:
        raise NotAllowed(f"Only the teacher can {_VERB[action]} jobs in the queue.")
    whose = f"{owner_name}'s" if owner_name else "someone else's"
    raise NotAllowed(
        f"This is {whose}: only its owner or the teacher can {_VERB.get(action, str(action))} it."
    )


__all__ = ["TEACHER_ONLY", "Action", "NotAllowed", "allowed", "check"]
