"""A challenge: a starting design and data, what a student may change, and targets to reach.

A teacher (or anyone, as a link) sets a challenge; the app checks its targets
itself, with the shape engine for a design and from the run store for a training
(``cnnviz.design.challenge_checks``)::

    ch = Challenge(title="Small and sharp", spec=PRESETS["mnist-basic"].new_spec(),
                   dataset="mnist", max_params=20_000,
                   shapes=(ShapeTarget("conv2d", 2, (16, 7, 7)),),
                   locked={"epochs": 3, "optimizer": "adam"})
    link = encode_challenge(ch)          # ?challenge=<link>: the whole challenge, no server
    decode_challenge(link) == ch         # ChallengeError (a message naming the fix) if damaged

A link carries its design the way ``?net=`` does (``encode_spec``), so a link's
design is checked by the same reader; the rest is JSON checked field by field,
with a checksum so a garbled link is told apart from an old or a forged one.
Everything here is torch-free and streamlit-free.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from cnnviz.design import bounded_json
from cnnviz.design.export import MAX_URL_CHARS, decode_spec, encode_spec
from cnnviz.design.layer_kinds import LAYER_KINDS
from cnnviz.design.spec import SpecError

LINK_VERSION = 1
MAX_TITLE = 80
MAX_NOTE = 400
MAX_TARGETS = 8
# the Train settings a challenge may lock (TrainConfig's fields a student sets)
LOCKABLE = ("epochs", "optimizer", "lr", "momentum", "weight_decay", "seed")


class ChallengeError(ValueError):
    """A challenge (or its link) that cannot be read; the message names the fix."""


@dataclass(frozen=True)
class ShapeTarget:
    """The output shape (C, H, W, no batch) after the ``nth`` layer of ``kind`` (from 1)."""

    kind: str  # a layer kind: "conv2d", "maxpool2d", ...
    nth: int
    shape: tuple[int, ...]

    def words(self) -> str:
        return (
            f"{'×'.join(map(str, self.shape))} after {LAYER_KINDS[self.kind].torch_name} {self.nth}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "nth": self.nth, "shape": list(self.shape)}


@dataclass(frozen=True)
class Challenge:
    """What the student starts from, may change, and must reach. Only set targets count."""

    title: str
    spec: dict
    dataset: str = "shapes"
    note: str = ""  # the teacher's words, shown above the targets
    kinds: tuple[str, ...] = ()  # layer kinds a student may add (empty: any)
    may_add: bool = True  # may add and remove layers (False: only change their values)
    locked: dict[str, Any] = field(default_factory=dict)  # Train settings fixed: {"epochs": 3}
    shapes: tuple[ShapeTarget, ...] = ()
    max_params: int | None = None
    max_mult_adds: int | None = None  # for one image
    min_accuracy: float | None = None  # test accuracy, 0..1, checked when a run ends
    max_epochs: int | None = None  # the accuracy target's epochs (None: any)

    @property
    def has_design_targets(self) -> bool:
        return bool(self.shapes) or self.max_params is not None or self.max_mult_adds is not None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"title": self.title, "net": encode_spec(self.spec)}
        d["dataset"] = self.dataset
        for name in ("note", "max_params", "max_mult_adds", "min_accuracy", "max_epochs"):
            if getattr(self, name) not in (None, ""):
                d[name] = getattr(self, name)
        if self.kinds:
            d["kinds"] = list(self.kinds)
        if not self.may_add:
            d["may_add"] = False
        if self.locked:
            d["locked"] = dict(self.locked)
        if self.shapes:
            d["shapes"] = [t.to_dict() for t in self.shapes]
        return d

    @classmethod
    def from_dict(cls, d: Any) -> Challenge:
        """A checked challenge from its dict (a link's, the class database's): ChallengeError."""
        if not isinstance(d, dict):
            raise ChallengeError("the challenge is not a set of named values")
        unknown = sorted(set(d) - _FIELDS)
        if unknown:
            raise ChallengeError(f"the challenge has values cnnviz does not know: {unknown[:3]}")
        title = _text(d.get("title"), "title", MAX_TITLE) or "Challenge"
        try:
            spec = decode_spec(d.get("net", ""))
        except SpecError as e:
            raise ChallengeError(f"the challenge's design cannot be read ({e})") from None
        from cnnviz.data.catalog import DATASETS  # light: no torch

        dataset = d.get("dataset", "shapes")
        if dataset not in DATASETS:
            raise ChallengeError(
                f"the challenge's dataset {str(dataset)[:20]!r} is not one cnnviz has"
            )
        kinds = d.get("kinds", [])
        if not isinstance(kinds, list) or any(k not in LAYER_KINDS for k in kinds):
            raise ChallengeError("the challenge's layer kinds are not kinds cnnviz has")
        may_add = d.get("may_add", True)
        if not isinstance(may_add, bool):
            raise ChallengeError("the challenge's may_add is not true or false")
        shapes = d.get("shapes", [])
        if not isinstance(shapes, list) or len(shapes) > MAX_TARGETS:
            raise ChallengeError(f"the challenge has more than {MAX_TARGETS} shape targets")
        return cls(
            title=title,
            spec=spec,
            dataset=dataset,
            note=_text(d.get("note", ""), "note", MAX_NOTE),
            kinds=tuple(dict.fromkeys(kinds)),
            may_add=may_add,
            locked=_locked(d.get("locked", {})),
            shapes=tuple(_shape_target(t) for t in shapes),
            max_params=_whole(d.get("max_params"), "parameter budget", 1, 10**12),
            max_mult_adds=_whole(d.get("max_mult_adds"), "mult-add budget", 1, 10**15),
            min_accuracy=_fraction(d.get("min_accuracy")),
            max_epochs=_whole(d.get("max_epochs"), "epochs of the accuracy target", 1, 1000),
        )


_FIELDS = {
    "title", "net", "dataset", "note", "kinds", "may_add", "locked", "shapes",
    "max_params", "max_mult_adds", "min_accuracy", "max_epochs",
}  # fmt: skip


def _text(v: Any, what: str, limit: int) -> str:
    if not isinstance(v, str):
        raise ChallengeError(f"the challenge's {what} is not text")
    return " ".join(v.split())[:limit]


def _whole(v: Any, what: str, lo: int, hi: int) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ChallengeError(f"the challenge's {what} must be a whole number from {lo:,} to {hi:,}")
    return v


def _fraction(v: Any) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= 1:
        raise ChallengeError("the challenge's accuracy target must be above 0 % and at most 100 %")
    return float(v)


def _shape_target(t: Any) -> ShapeTarget:
    if not isinstance(t, dict) or t.get("kind") not in LAYER_KINDS:
        raise ChallengeError("a shape target names no layer kind cnnviz has")
    nth = _whole(t.get("nth"), "shape target's layer number", 1, 200)
    shape = t.get("shape")
    if (
        not isinstance(shape, list)
        or not 1 <= len(shape) <= 3
        or any(isinstance(x, bool) or not isinstance(x, int) or not 1 <= x <= 65_536 for x in shape)
    ):
        raise ChallengeError("a shape target's shape must be 1 to 3 whole numbers, e.g. 16×7×7")
    return ShapeTarget(str(t["kind"]), int(nth or 1), tuple(shape))


def _locked(v: Any) -> dict[str, Any]:
    if not isinstance(v, dict) or any(k not in LOCKABLE for k in v):
        raise ChallengeError(f"the challenge locks settings other than {', '.join(LOCKABLE)}")
    from cnnviz.train.config import ConfigError, TrainConfig  # light: no torch

    try:
        clean = TrainConfig.from_dict(v).to_dict()
    except (ConfigError, TypeError, ValueError) as e:
        raise ChallengeError(f"the challenge's locked settings are not valid ({e})") from None
    return {k: clean[k] for k in v}


def parse_shape(text: str) -> tuple[int, ...]:
    """``"16×7×7"`` / ``"16x7x7"`` / ``"16, 7, 7"`` -> (16, 7, 7); ChallengeError otherwise."""
    parts = [p for p in str(text).replace("×", "x").replace(",", "x").split("x")]
    try:
        shape = tuple(int(p.strip()) for p in parts)
    except ValueError:
        raise ChallengeError(f"{str(text)[:20]!r} is not a shape: write e.g. 16×7×7") from None
    if not 1 <= len(shape) <= 3 or min(shape) < 1:
        raise ChallengeError(f"{str(text)[:20]!r} is not a shape: write e.g. 16×7×7")
    return shape


# -- the link ---------------------------------------------------------------------------
_BROKEN = (
    "This challenge link is damaged (cut short or changed): ask for the link again and "
    "copy all of it. Nothing of yours was changed."
)


def _digest(body: bytes) -> str:
    return hashlib.sha256(b"cnnviz-challenge\0" + body).hexdigest()[:12]


def encode_challenge(ch: Challenge) -> str:
    """The whole challenge as one URL-safe string: compact JSON, zlib, base64 (as ``?net=``)."""
    body = json.dumps(ch.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()
    wrapped = json.dumps({"v": LINK_VERSION, "c": body.decode(), "d": _digest(body)}).encode()
    return base64.urlsafe_b64encode(zlib.compress(wrapped, 9)).decode("ascii").rstrip("=")


def decode_challenge(s: Any) -> Challenge:
    """The challenge in ``encode_challenge``'s string, or ChallengeError saying why not."""
    if not isinstance(s, str) or not s:
        raise ChallengeError("the link has no challenge in it")
    if len(s) > MAX_URL_CHARS:
        raise ChallengeError(f"the challenge in the link is longer than {MAX_URL_CHARS} characters")
    try:
        raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        d = zlib.decompressobj()
        data = d.decompress(raw, 4 * MAX_URL_CHARS)
        if d.unconsumed_tail or not d.eof:
            raise ChallengeError(_BROKEN)
        outer = bounded_json.loads(data, what="the challenge link", max_chars=4 * MAX_URL_CHARS)
    except (binascii.Error, ValueError, zlib.error) as e:
        raise (e if isinstance(e, ChallengeError) else ChallengeError(_BROKEN)) from None
    if not isinstance(outer, dict) or not isinstance(outer.get("c"), str):
        raise ChallengeError(_BROKEN)
    if outer.get("v") != LINK_VERSION:
        raise ChallengeError(
            "This challenge link is from another version of cnnviz: ask for a new one."
        )
    body = outer["c"].encode()
    if outer.get("d") != _digest(body):
        raise ChallengeError(_BROKEN)
    try:
        inner = bounded_json.loads(body, what="the challenge", max_chars=4 * MAX_URL_CHARS)
    except ValueError:
        raise ChallengeError(_BROKEN) from None
    return Challenge.from_dict(inner)


def link_id(link: str) -> str:
    """A short id for a link-only challenge (what a run trained under it keeps)."""
    return "link-" + hashlib.sha256(link.encode()).hexdigest()[:10]


__all__ = [
    "LOCKABLE",
    "Challenge",
    "ChallengeError",
    "ShapeTarget",
    "decode_challenge",
    "encode_challenge",
    "link_id",
    "parse_shape",
]
