"""The key cache: at most `ttl` seconds stale, bounded, invalidated on demand, one lookup
per miss."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from sluicegate.core.clock import ManualClock
from sluicegate.core.identity import KeyRecord, Role
from sluicegate.policies.key_cache import KeyCache
from sluicegate.stores.keys_memory import MemoryKeyStore

RECORD = KeyRecord("k1", "hash-1", "name", "team", Role.APP)


class CountingStore(MemoryKeyStore):
    def __init__(self, *records: KeyRecord) -> None:
        super().__init__(records)
        self.lookups = 0
        self.gate: asyncio.Event | None = None
        self.fail = False

    async def find_by_hash(self, key_hash: str) -> KeyRecord | None:
        self.lookups += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise ConnectionError("database down")
        return await super().find_by_hash(key_hash)


async def test_hits_within_ttl_do_not_ask_the_store() -> None:
    store, clock = CountingStore(RECORD), ManualClock()
    cache = KeyCache(store, clock, ttl=1.0)
    assert await cache.find("hash-1") == RECORD
    clock.advance(0.999)
    assert await cache.find("hash-1") == RECORD
    assert store.lookups == 1
    clock.advance(0.001)
    assert await cache.find("hash-1") == RECORD
    assert store.lookups == 2


async def test_revocation_shows_within_the_ttl() -> None:
    store, clock = CountingStore(RECORD), ManualClock()
    cache = KeyCache(store, clock, ttl=1.0)
    await cache.find("hash-1")
    await store.revoke("k1", datetime(2030, 1, 1))
    clock.advance(1.0)
    found = await cache.find("hash-1")
    assert found is not None
    assert found.revoked_at == datetime(2030, 1, 1)


async def test_unknown_hashes_are_cached_too() -> None:
    store, clock = CountingStore(), ManualClock()
    cache = KeyCache(store, clock, ttl=1.0)
    assert await cache.find("nope") is None
    assert await cache.find("nope") is None
    assert store.lookups == 1


async def test_zero_ttl_always_asks_the_store() -> None:
    store, clock = CountingStore(RECORD), ManualClock()
    cache = KeyCache(store, clock, ttl=0.0)
    await cache.find("hash-1")
    await cache.find("hash-1")
    assert store.lookups == 2
    assert len(cache) == 0


async def test_invalidate_one_or_all() -> None:
    store, clock = CountingStore(RECORD), ManualClock()
    cache = KeyCache(store, clock, ttl=1.0)
    await cache.find("hash-1")
    await cache.find("other")
    cache.invalidate("hash-1")
    await cache.find("hash-1")
    await cache.find("other")
    assert store.lookups == 3
    cache.invalidate()
    assert len(cache) == 0


async def test_size_is_bounded_by_evicting_the_oldest() -> None:
    store, clock = CountingStore(), ManualClock()
    cache = KeyCache(store, clock, ttl=1.0, max_entries=3)
    for name in ("a", "b", "c", "d"):
        await cache.find(name)
    assert len(cache) == 3
    await cache.find("a")  # evicted, so asked again
    await cache.find("d")  # still cached
    assert store.lookups == 5


async def test_concurrent_misses_share_one_lookup() -> None:
    store, clock = CountingStore(RECORD), ManualClock()
    store.gate = asyncio.Event()
    cache = KeyCache(store, clock, ttl=1.0)
    waiters = [asyncio.create_task(cache.find("hash-1")) for _ in range(20)]
    await asyncio.sleep(0)
    store.gate.set()
    assert await asyncio.gather(*waiters) == [RECORD] * 20
    assert store.lookups == 1


async def test_a_lookup_overtaken_by_invalidation_is_not_kept() -> None:
    store, clock = CountingStore(RECORD), ManualClock()
    store.gate = asyncio.Event()
    cache = KeyCache(store, clock, ttl=1.0)
    pending = asyncio.create_task(cache.find("hash-1"))
    await asyncio.sleep(0)
    cache.invalidate("hash-1")
    store.gate.set()
    assert await pending == RECORD
    assert len(cache) == 0


async def test_store_failures_reach_every_waiter_and_are_not_cached() -> None:
    store, clock = CountingStore(RECORD), ManualClock()
    store.gate, store.fail = asyncio.Event(), True
    cache = KeyCache(store, clock, ttl=1.0)
    waiters = [asyncio.create_task(cache.find("hash-1")) for _ in range(3)]
    await asyncio.sleep(0)
    store.gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(result, ConnectionError) for result in results)
    store.fail = False
    assert await cache.find("hash-1") == RECORD
    assert store.lookups == 2


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="ttl"):
        KeyCache(MemoryKeyStore(), ManualClock(), ttl=-1)
    with pytest.raises(ValueError, match="max_entries"):
        KeyCache(MemoryKeyStore(), ManualClock(), ttl=1, max_entries=0)
