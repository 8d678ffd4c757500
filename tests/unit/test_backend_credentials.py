"""The backend's own credentials: static headers, and cached Entra ID tokens."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from sluicegate.backends.credentials import (
    REFRESH_MARGIN_SECONDS,
    EntraCredentials,
    StaticCredentials,
    UpstreamCredentialsError,
    credentials_for,
)
from sluicegate.config.credentials import ApiKeyAuth, BearerAuth, EntraAuth, NoAuth
from sluicegate.config.loader import ConfigError
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import UpstreamError

SCOPE = "https://cognitiveservices.azure.com/.default"


@dataclass
class Token:
    token: str
    expires_on: int


class FakeCredential:
    """Hands out numbered tokens valid for `lifetime` seconds of the clock's wall time."""

    def __init__(self, clock: ManualClock, lifetime: float = 3600.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls: list[tuple[str, ...]] = []
        self.fail: Exception | None = None
        self.closed = False
        self.gate: asyncio.Event | None = None

    async def get_token(self, *scopes: str) -> Token:
        self.calls.append(scopes)
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return Token(f"token-{len(self.calls)}", int(self.clock.wall() + self.lifetime))

    async def close(self) -> None:
        self.closed = True


async def test_no_auth_adds_nothing() -> None:
    provider = credentials_for(NoAuth(), ManualClock())
    assert await provider.headers() == {}


async def test_api_key_becomes_api_key_header() -> None:
    provider = credentials_for(ApiKeyAuth(type="api-key", key=SecretStr("k-123")), ManualClock())
    assert await provider.headers() == {"api-key": "k-123"}
    assert isinstance(provider, StaticCredentials)
    assert "k-123" not in repr(provider)


async def test_bearer_becomes_authorization_header() -> None:
    provider = credentials_for(BearerAuth(type="bearer", token=SecretStr("sk-abc")), ManualClock())
    assert await provider.headers() == {"Authorization": "Bearer sk-abc"}
    assert "sk-abc" not in repr(provider)


async def test_entra_token_fetched_once_and_cached() -> None:
    clock = ManualClock()
    fake = FakeCredential(clock)
    provider = credentials_for(EntraAuth(type="entra"), clock, credential=fake)
    assert await provider.headers() == {"Authorization": "Bearer token-1"}
    clock.advance(3600 - REFRESH_MARGIN_SECONDS - 1)
    assert await provider.headers() == {"Authorization": "Bearer token-1"}
    assert fake.calls == [(SCOPE,)]
    assert "token-1" not in repr(provider)


async def test_entra_token_refreshed_within_five_minutes_of_expiry() -> None:
    clock = ManualClock()
    fake = FakeCredential(clock)
    provider = EntraCredentials(SCOPE, clock, fake)
    await provider.headers()
    clock.advance(3600 - REFRESH_MARGIN_SECONDS)
    assert await provider.headers() == {"Authorization": "Bearer token-2"}
    assert len(fake.calls) == 2


async def test_short_lived_token_is_not_refreshed_on_every_call() -> None:
    clock = ManualClock()
    fake = FakeCredential(clock, lifetime=120.0)
    provider = EntraCredentials(SCOPE, clock, fake)
    await provider.headers()
    clock.advance(59)
    await provider.headers()
    assert len(fake.calls) == 1
    clock.advance(1)
    assert await provider.headers() == {"Authorization": "Bearer token-2"}


async def test_concurrent_callers_share_one_token_request() -> None:
    clock = ManualClock()
    fake = FakeCredential(clock)
    fake.gate = asyncio.Event()
    provider = EntraCredentials(SCOPE, clock, fake)
    waiting = [asyncio.ensure_future(provider.headers()) for _ in range(20)]
    await asyncio.sleep(0)
    fake.gate.set()
    results = await asyncio.gather(*waiting)
    assert len(fake.calls) == 1
    assert all(result == {"Authorization": "Bearer token-1"} for result in results)


async def test_failed_refresh_keeps_valid_token() -> None:
    clock = ManualClock()
    fake = FakeCredential(clock)
    provider = EntraCredentials(SCOPE, clock, fake)
    await provider.headers()
    clock.advance(3600 - 60)
    fake.fail = RuntimeError("identity endpoint down")
    assert await provider.headers() == {"Authorization": "Bearer token-1"}
    assert await provider.headers() == {"Authorization": "Bearer token-1"}
    assert len(fake.calls) == 2, "a failed refresh waits before trying again"


async def test_failure_without_valid_token_raises_clear_upstream_error() -> None:
    clock = ManualClock()
    fake = FakeCredential(clock)
    fake.fail = RuntimeError("secret-looking detail sk-leak")
    provider = EntraCredentials(SCOPE, clock, fake)
    with pytest.raises(UpstreamCredentialsError) as caught:
        await provider.headers()
    assert isinstance(caught.value, UpstreamError)
    assert "Entra ID token" in caught.value.message
    assert "sk-leak" not in str(caught.value)
    assert caught.value.__cause__ is None


async def test_expired_token_is_not_used_after_failed_refresh() -> None:
    clock = ManualClock()
    fake = FakeCredential(clock)
    provider = EntraCredentials(SCOPE, clock, fake)
    await provider.headers()
    clock.advance(3601)
    fake.fail = RuntimeError("down")
    with pytest.raises(UpstreamCredentialsError):
        await provider.headers()


async def test_close_closes_injected_credential() -> None:
    clock = ManualClock()
    fake = FakeCredential(clock)
    provider = EntraCredentials(SCOPE, clock, fake)
    await provider.close()
    assert fake.closed


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity.aio", None)
    with pytest.raises(ConfigError, match=r"pip install 'sluicegate\[entra\]'"):
        credentials_for(EntraAuth(type="entra"), ManualClock())


async def test_default_azure_credential_is_built_when_none_injected() -> None:
    provider = credentials_for(
        EntraAuth(type="entra", managed_identity_client_id="00000000-0000-0000-0000-000000000000"),
        ManualClock(),
    )
    assert isinstance(provider, EntraCredentials)
    await provider.close()
