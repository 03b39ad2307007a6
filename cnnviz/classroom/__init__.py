"""The classroom: one server for a teacher and a class (no streamlit here).

People join with a name (students) or the teacher key; the browser holds a
signed token (``tokens``); every job and run action checks its owner
(``ownership``); jobs wait their turn in a fair queue (``queue``) within the
teacher's limits (``limits``); students' uploads stay in their own folder under
a quota (``uploads``) and everyone's files within the disk's room (``disk``);
names are told apart by ``names``, tries per computer counted by ``attempts``;
all of it is kept in SQLite beside the runs (``db``), tied together by
``room.Classroom``. Refusals other than ownership are ``errors.RoomError``.
"""

from cnnviz.classroom.entries import Entry, EntryState, JobSize, QueueRefused
from cnnviz.classroom.errors import RoomError, StorageError
from cnnviz.classroom.limits import Limits, over_limits
from cnnviz.classroom.mode import class_mode
from cnnviz.classroom.ownership import Action, NotAllowed, allowed, check
from cnnviz.classroom.people import JoinError, Person, Role
from cnnviz.classroom.queue import ClassQueue
from cnnviz.classroom.room import COOKIE, Broadcast, Classroom
from cnnviz.classroom.tokens import TokenError, TokenProblem

__all__ = [
    "COOKIE",
    "Action",
    "Broadcast",
    "ClassQueue",
    "Classroom",
    "Entry",
    "EntryState",
    "JobSize",
    "JoinError",
    "Limits",
    "NotAllowed",
    "Person",
    "QueueRefused",
    "Role",
    "RoomError",
    "StorageError",
    "TokenError",
    "TokenProblem",
    "allowed",
    "check",
    "class_mode",
    "over_limits",
]
