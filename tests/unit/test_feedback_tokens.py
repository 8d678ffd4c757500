"""Feedback tokens: issued, verified, expired, forged; the key from config or shared store."""

from __future__ import annotations

import base64
import json

import pytest

from sluicegate.core.clock import ManualClock
from sluicegate.policies.feedback_tokens import (
    SECRET_NAME,
    FeedbackTokens,
    InvalidFeedbackToken,
)

SECRET = "s" * 40
TTL = 3600.0


class MemorySecrets:
    """The first value stored under a name wins, as in the database."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get_or_create(self, name: str, value: str) -> str:
        return self.values.setdefault(name, value)


def tokens(clock: ManualClock, secret: str = SECRET) -> FeedbackTokens:
    return FeedbackTokens(clock, TTL, secret=secret)


def test_a_token_carries_its_request_subject_and_expiry() -> None:
    clock = ManualClock()
    issuer = tokens(clock)
    claims = issuer.verify(issuer.issue("req-1", "key-a"))
    assert (claims.request_id, claims.subject) == ("req-1", "key-a")
    assert claims.expires_at == pytest.approx(clock.wall() + TTL, abs=1)


def test_a_token_expires_after_its_ttl() -> None:
    clock = ManualClock()
    issuer = tokens(clock)
    token = issuer.issue("req-1", "key-a")
    clock.advance(TTL - 1)
    assert issuer.verify(token).request_id == "req-1"
    clock.advance(2)
    with pytest.raises(InvalidFeedbackToken, match="expired") as caught:
        issuer.verify(token)
    assert caught.value.status == 401
    assert caught.value.code == "invalid_feedback_token"


def test_a_changed_payload_or_another_key_is_refused() -> None:
    clock = ManualClock()
    token = tokens(clock).issue("req-1", "key-a")
    version, payload, mac = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["r"] = "req-2"  # someone else's request, same signature
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidFeedbackToken, match="not valid"):
        tokens(clock).verify(f"{version}.{forged}.{mac}")
    with pytest.raises(InvalidFeedbackToken, match="not valid"):
        tokens(clock, "t" * 40).verify(token)


@pytest.mark.parametrize(
    "token",
    ["", "v1", "v1..", "v2.e30.AAAA", "v1.e30.!!!", "v1.e30.AAAA", "x" * 5000, "v1.é.é"],
)
def test_malformed_tokens_are_refused_not_crashed_on(token: str) -> None:
    with pytest.raises(InvalidFeedbackToken, match="not valid"):
        tokens(ManualClock()).verify(token)


async def test_without_a_configured_secret_replicas_share_the_stored_key() -> None:
    clock, shared = ManualClock(), MemorySecrets()
    first = FeedbackTokens(clock, TTL, secrets_store=shared)
    second = FeedbackTokens(clock, TTL, secrets_store=shared)
    with pytest.raises(RuntimeError, match="start"):
        first.issue("req-1", "key-a")
    await first.start()
    await second.start()
    assert list(shared.values) == [SECRET_NAME]
    assert len(shared.values[SECRET_NAME]) == 64
    assert second.verify(first.issue("req-1", "key-a")).subject == "key-a"
    other = FeedbackTokens(clock, TTL, secrets_store=MemorySecrets())
    await other.start()
    with pytest.raises(InvalidFeedbackToken):
        other.verify(first.issue("req-1", "key-a"))


def test_the_key_never_shows() -> None:
    issuer = tokens(ManualClock())
    assert SECRET not in repr(issuer)
    with pytest.raises(ValueError, match="secret"):
        FeedbackTokens(ManualClock(), TTL)
