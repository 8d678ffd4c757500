"""A hung database must not hold requests: key and team lookups are bounded."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import ServiceUnavailable
from sluicegate.core.identity import KeyRecord, TeamRecord
from sluicegate.policies.api_keys import generate_key
from sluicegate.policies.auth import Authenticator
from sluicegate.policies.key_cache import KeyCache
from sluicegate.policies.teams import TeamDirectory

TIMEOUT = 0.05


class HungStore:
    """Accepts every lookup and never answers, like a database behind a dead connection."""

    def __init__(self) -> None:
        self.calls = 0
        self._never = asyncio.Event()

    async def _hang(self) -> None:
        self.calls += 1
        await self._never.wait()

    async def find_by_hash(self, key_hash: str) -> KeyRecord | None:
        await self._hang()
        return None

    async def get(self, name: str) -> TeamRecord | None:
        await self._hang()
        return None

    async def add(self, record: KeyRecord) -> None: ...
    async def revoke(self, key_id: str, at: datetime) -> bool: ...
    async def update(self, record: KeyRecord) -> bool: ...
    async def list(self, team: str | None = None) -> list[KeyRecord]: ...


async def test_a_hung_key_store_answers_503_after_the_lookup_timeout() -> None:
    store, clock = HungStore(), ManualClock()
    authenticator = Authenticator(
        KeyCache(store, clock, ttl=1.0), None, clock, lookup_timeout=TIMEOUT
    )
    key, _ = generate_key()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(ServiceUnavailable, match="cannot be checked"):
        await authenticator.authenticate({"api-key": key})
    assert loop.time() - started < 1.0  # bounded by the timeout, not the driver's 30 s
    with pytest.raises(ServiceUnavailable):
        await authenticator.authenticate({"api-key": key})
    assert store.calls == 1  # the second caller joined the lookup still under way


async def test_a_hung_team_store_falls_back_to_the_configured_team() -> None:
    configured = {"search": TeamRecord("search", frozenset({"gpt-4o"}))}
    store = HungStore()
    directory = TeamDirectory(configured, store, ManualClock(), lookup_timeout=TIMEOUT)  # type: ignore[arg-type]
    assert await directory.get("search") == configured["search"]
    assert await directory.get("search") == configured["search"]
    assert store.calls == 1  # the fallback is kept for the cache's second
