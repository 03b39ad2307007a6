"""Signed session tokens: who a browser is, without trusting anything it sends.

A token is ``<payload>.<signature>``: the payload is the person's id and an
expiry time (url-safe base64 of compact JSON), the signature an HMAC-SHA256 of
the payload with the server's secret. Changing one character of the payload
(another person's id, a later expiry) breaks the signature; a token from another
server (another secret) does not verify; an old token is refused once expired::

    token = make_token("p-3f2a", secret, ttl_s=12 * 3600, signin="9c1e...")
    read_token(token, secret)            # -> "p-3f2a", or raises TokenError
    read_claims(token, secret)           # -> ("p-3f2a", "9c1e...")

The signature alone cannot be taken back, so every token also names its sign-in
(``signin``, a random id): the classroom keeps the sign-ins that are still valid
in its database, and Sign out deletes one (``REVOKED`` from then on).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from enum import StrEnum
from typing import NamedTuple

DEFAULT_TTL_S = 12 * 3600  # a school day: a token from this morning still works after lunch


class TokenProblem(StrEnum):
    MALFORMED = "malformed"
    FORGED = "forged"
    EXPIRED = "expired"
    REVOKED = "revoked"


class TokenError(ValueError):
    """The token cannot be trusted; ``problem`` says why (malformed, forged, expired)."""

    def __init__(self, problem: TokenProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def new_secret() -> str:
    """A fresh server secret (64 hex characters)."""
    return secrets.token_hex(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload: str, secret: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode("ascii"), hashlib.sha256).digest())


def new_signin_id() -> str:
    """A fresh sign-in id (what Sign out takes back)."""
    return secrets.token_hex(12)


def make_token(
    person_id: str,
    secret: str,
    *,
    ttl_s: float = DEFAULT_TTL_S,
    now: float | None = None,
    signin: str = "",
) -> str:
    """A token saying "this is ``person_id``, sign-in ``signin``" until ``now + ttl_s``."""
    now = time.time() if now is None else now
    claims = {"p": person_id, "e": int(now + ttl_s), "t": signin}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_sign(payload, secret)}"


def read_token(token: str, secret: str, *, now: float | None = None) -> str:
    """The person id the token was made for; ``TokenError`` if forged, expired or malformed."""
    return read_claims(token, secret, now=now)[0]


class Claims(NamedTuple):
    person: str
    signin: str  # "" in a token made before sign-ins were kept
    expires: float


def read_claims(token: str, secret: str, *, now: float | None = None) -> Claims:
    """What a genuine, unexpired token says (``TokenError`` otherwise)."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 512:
        raise TokenError(TokenProblem.MALFORMED, "This sign-in token is not one of ours.")
    payload, signature = token.split(".")
    if not hmac.compare_digest(signature, _sign(payload, secret)):
        raise TokenError(
            TokenProblem.FORGED, "This sign-in token was not signed by this server: join again."
        )
    try:
        data = json.loads(_unb64(payload))
        person_id, expires = str(data["p"]), float(data["e"])
        signin = str(data.get("t") or "")
    except (ValueError, KeyError, TypeError) as e:
        raise TokenError(TokenProblem.MALFORMED, "This sign-in token cannot be read.") from e
    if (time.time() if now is None else now) >= expires:
        raise TokenError(TokenProblem.EXPIRED, "Your sign-in has expired: join again.")
    return Claims(person_id, signin, expires)


__all__ = [
    "Claims",
    "DEFAULT_TTL_S",
    "TokenError",
    "TokenProblem",
    "make_token",
    "new_secret",
    "new_signin_id",
    "read_claims",
    "read_token",
]
