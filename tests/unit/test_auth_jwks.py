"""JWKS handling without sockets: key selection, caching, rotation and the refetch rate limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import aiohttp
import orjson
import pytest
from tests.unit.auth_tokens import Signer, jwks

from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import AuthenticationFailed, ServiceUnavailable
from sluicegate.policies.jwks import MAX_JWKS_BYTES, JwksUrlSource, KeySet

URL = "https://idp.example.test/keys"


@pytest.fixture(scope="module")
def rsa_signer() -> Signer:
    return Signer("rsa", "rsa-1")


@pytest.fixture(scope="module")
def ec_signer() -> Signer:
    return Signer("ec", "ec-1")


def test_keys_are_bound_to_allowed_algorithms_of_their_type(
    rsa_signer: Signer, ec_signer: Signer
) -> None:
    keys = KeySet(jwks(rsa_signer, ec_signer), {"RS256", "PS256", "ES256"})
    assert keys.find("rsa-1", "RS256") is not None
    assert keys.find("rsa-1", "PS256") is not None
    assert keys.find("rsa-1", "ES256") is None
    assert keys.find("ec-1", "ES256") is not None
    assert keys.find("ec-1", "RS256") is None
    assert keys.knows("ec-1")
    assert not keys.knows("other")
    assert len(keys) == 2


def test_declared_alg_and_use_are_respected(rsa_signer: Signer, ec_signer: Signer) -> None:
    document = {
        "keys": [rsa_signer.jwk(alg="PS256"), ec_signer.jwk(use="enc"), "junk", {"kty": "?"}]
    }
    keys = KeySet(document, {"RS256", "PS256", "ES256"})
    assert keys.find("rsa-1", "RS256") is None
    assert keys.find("rsa-1", "PS256") is not None
    assert not keys.knows("ec-1")


def test_a_token_without_kid_uses_the_only_key(rsa_signer: Signer, ec_signer: Signer) -> None:
    assert KeySet(jwks(rsa_signer), {"RS256"}).find(None, "RS256") is not None
    assert KeySet(jwks(rsa_signer, ec_signer), {"RS256", "ES256"}).find(None, "RS256") is None


@pytest.mark.parametrize("document", [[], {"keys": {}}, {"keys": []}, {"nokeys": 1}])
def test_documents_without_usable_keys_are_refused(document: Any) -> None:
    with pytest.raises(ValueError, match="JWKS"):
        KeySet(document, {"RS256"})


def test_hmac_keys_are_never_usable(rsa_signer: Signer) -> None:
    document = {"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}, rsa_signer.jwk()]}
    keys = KeySet(document, {"RS256"})
    assert not keys.knows("h")


class FakeResponse:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body
        self.content_length: int | None = None
        self.content = self

    async def iter_chunked(self, size: int) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), size):
            yield self.body[start : start + size]

    async def __aenter__(self) -> FakeResponse:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class FakeSession:
    """Answers GETs with the current document, or fails; counts requests."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self.status = 200
        self.error: Exception | None = None
        self.gate: asyncio.Event | None = None
        self.requests = 0

    def get(self, url: str, **options: Any) -> Any:
        assert url == URL
        assert options["allow_redirects"] is False
        self.requests += 1
        return self._respond()

    def _respond(self) -> Any:
        session = self

        class Pending:
            async def __aenter__(self) -> FakeResponse:
                if session.gate is not None:
                    await session.gate.wait()
                if session.error is not None:
                    raise session.error
                return FakeResponse(session.status, orjson.dumps(session.document))

            async def __aexit__(self, *args: object) -> None:
                return None

        return Pending()


def source(session: FakeSession, clock: ManualClock, **extra: Any) -> JwksUrlSource:
    options: dict[str, Any] = {
        "cache_seconds": 3600.0,
        "min_refresh_seconds": 30.0,
        "timeout_seconds": 5.0,
    }
    options.update(extra)
    return JwksUrlSource(URL, {"RS256", "ES256"}, clock, session=session, **options)  # type: ignore[arg-type]


async def test_keys_are_fetched_once_and_cached(rsa_signer: Signer) -> None:
    session, clock = FakeSession(jwks(rsa_signer)), ManualClock()
    keys = source(session, clock)
    for _ in range(5):
        await keys.find("rsa-1", "RS256")
    assert session.requests == 1
    clock.advance(3600)
    await keys.find("rsa-1", "RS256")
    assert session.requests == 2


async def test_unknown_kid_refetches_once_per_interval(
    rsa_signer: Signer, ec_signer: Signer
) -> None:
    session, clock = FakeSession(jwks(rsa_signer)), ManualClock()
    keys = source(session, clock)
    await keys.find("rsa-1", "RS256")
    clock.advance(30)
    for attempt in range(50):
        with pytest.raises(AuthenticationFailed, match="unknown 'kid'"):
            await keys.find(f"made-up-{attempt}", "RS256")
    assert session.requests == 2  # the first unknown kid refetched; the flood did not
    session.document = jwks(rsa_signer, ec_signer)  # rotation: a new key is published
    with pytest.raises(AuthenticationFailed):
        await keys.find("ec-1", "ES256")  # still inside the rate limit
    clock.advance(30)
    assert await keys.find("ec-1", "ES256") is not None
    assert session.requests == 3


async def test_concurrent_unknown_kids_share_one_fetch(
    rsa_signer: Signer, ec_signer: Signer
) -> None:
    session, clock = FakeSession(jwks(rsa_signer)), ManualClock()
    keys = source(session, clock, min_refresh_seconds=0.0)
    await keys.find("rsa-1", "RS256")
    session.document = jwks(rsa_signer, ec_signer)
    session.gate = asyncio.Event()
    waiters = [asyncio.create_task(keys.find("ec-1", "ES256")) for _ in range(10)]
    await asyncio.sleep(0)
    session.gate.set()
    assert all(found is not None for found in await asyncio.gather(*waiters))
    assert session.requests == 2


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500},
        {"status": 301},
        {"error": aiohttp.ClientConnectionError("refused")},
        {"error": TimeoutError()},
        {"document": {"keys": []}},
        {"document": "x" * (MAX_JWKS_BYTES + 1)},
    ],
)
async def test_first_fetch_failure_is_503_and_rate_limited(failure: dict[str, Any]) -> None:
    session, clock = FakeSession(None), ManualClock()
    for name, value in failure.items():
        setattr(session, name, value)
    keys = source(session, clock)
    for _ in range(3):
        with pytest.raises(ServiceUnavailable, match="cannot be fetched"):
            await keys.find("rsa-1", "RS256")
    assert session.requests == 1


async def test_stale_keys_are_kept_while_the_issuer_is_down(rsa_signer: Signer) -> None:
    session, clock = FakeSession(jwks(rsa_signer)), ManualClock()
    keys = source(session, clock)
    await keys.find("rsa-1", "RS256")
    clock.advance(3600)
    session.error = aiohttp.ClientConnectionError("down")
    assert await keys.find("rsa-1", "RS256") is not None
    assert await keys.find("rsa-1", "RS256") is not None
    assert session.requests == 2  # one failed attempt, then the rate limit holds
    clock.advance(30)
    with pytest.raises(ServiceUnavailable):
        await keys.find("rotated", "RS256")  # a refetch was needed and failed
    session.error = None
    clock.advance(30)
    await keys.find("rsa-1", "RS256")
    assert session.requests == 4


async def test_owned_session_is_closed() -> None:
    keys = JwksUrlSource(
        URL,
        {"RS256"},
        ManualClock(),
        cache_seconds=60,
        min_refresh_seconds=0,
        timeout_seconds=1,
    )
    await keys.close()  # never opened: nothing to close, and no error
