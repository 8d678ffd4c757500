"""Feedback tokens: short-lived, signed permission to rate one reply, for browser front ends.

A front end that shows a reply to an end user should not hold the application's API key. With
`feedback.tokens` on, every successful model reply carries a token that binds the request id,
the consumer that made the request and an expiry, signed with HMAC-SHA256:

    v1.<base64url(payload)>.<base64url(HMAC-SHA256 of "v1.<base64url(payload)>")>

where the payload is the JSON `{"r": request id, "s": subject, "e": expiry in epoch seconds}`.

The payload is readable (it holds nothing secret); the MAC makes it unforgeable. Every replica
must sign with the same key: the configured secret, or one generated once and kept in the
database. Tokens are never logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

import orjson

from sluicegate.core.clock import Clock
from sluicegate.core.errors import AuthenticationFailed
from sluicegate.core.shared_secrets import SharedSecrets

TOKEN_HEADER = "x-sluicegate-feedback-token"
SECRET_NAME = "feedback-token-key"
"""The name of the generated key in the database's shared secrets."""
VERSION = "v1"
_DOMAIN = b"sluicegate feedback token v1"
"""Mixed into the signing key, so a secret reused elsewhere never signs feedback tokens."""
MAX_TOKEN_LENGTH = 2048


class InvalidFeedbackToken(AuthenticationFailed):
    code = "invalid_feedback_token"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    request_id: str
    subject: str
    """The consumer that made the request (its usage record's subject)."""
    expires_at: float
    """Epoch seconds."""


class FeedbackTokens:
    """Issues and checks feedback tokens; `start()` loads the key before the first use."""

    __slots__ = ("_clock", "_key", "_secrets", "_ttl")

    def __init__(
        self,
        clock: Clock,
        ttl_s: float,
        *,
        secret: str | None = None,
        secrets_store: SharedSecrets | None = None,
    ) -> None:
        """`secret` is the configured key; without it the key comes from `secrets_store`
        (generated there by the first replica that starts)."""
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        if secret is None and secrets_store is None:
            raise ValueError("feedback tokens need a secret or a store to keep a generated one")
        self._clock = clock
        self._ttl = ttl_s
        self._secrets = secrets_store
        self._key: bytes | None = None if secret is None else _signing_key(secret)

    def __repr__(self) -> str:
        return f"FeedbackTokens(ttl_s={self._ttl:g})"  # never the key

    async def start(self) -> None:
        if self._key is not None:
            return
        assert self._secrets is not None
        stored = await self._secrets.get_or_create(SECRET_NAME, secrets.token_hex(32))
        self._key = _signing_key(stored)

    def issue(self, request_id: str, subject: str) -> str:
        """A token for rating `request_id`, valid for the configured time from now."""
        expires = math.ceil(self._clock.wall() + self._ttl)
        payload = _encode(orjson.dumps({"r": request_id, "s": subject, "e": expires}))
        signed = f"{VERSION}.{payload}"
        return f"{signed}.{_encode(self._mac(signed))}"

    def verify(self, token: str) -> TokenClaims:
        """The claims of a genuine, unexpired token; InvalidFeedbackToken (401) otherwise."""
        parts = token.split(".") if len(token) <= MAX_TOKEN_LENGTH else []
        if len(parts) != 3 or parts[0] != VERSION:
            raise _invalid()
        signed = f"{parts[0]}.{parts[1]}"
        try:
            mac = _decode(parts[2])
        except ValueError:
            raise _invalid() from None
        if not hmac.compare_digest(mac, self._mac(signed)):
            raise _invalid()
        claims = _claims(parts[1])
        if claims.expires_at <= self._clock.wall():
            raise InvalidFeedbackToken(
                "The feedback token has expired; feedback for this reply now needs an API key."
            )
        return claims

    def _mac(self, signed: str) -> bytes:
        if self._key is None:
            raise RuntimeError("FeedbackTokens.start() has not loaded the signing key yet")
        return hmac.new(self._key, signed.encode("ascii"), hashlib.sha256).digest()


def _signing_key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), _DOMAIN, hashlib.sha256).digest()


def _claims(payload: str) -> TokenClaims:
    """Only reached for a correctly signed payload, so a failure here means a bug or a key
    shared with something else; still a 401, never a 500."""
    try:
        data = orjson.loads(_decode(payload))
        request_id, subject, expires = data["r"], data["s"], data["e"]
    except (ValueError, TypeError, KeyError):
        raise _invalid() from None
    if not (isinstance(request_id, str) and isinstance(subject, str)):
        raise _invalid()
    if not isinstance(expires, int) or isinstance(expires, bool):
        raise _invalid()
    return TokenClaims(request_id, subject, float(expires))


def _invalid() -> InvalidFeedbackToken:
    return InvalidFeedbackToken("The feedback token is not valid.")


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
