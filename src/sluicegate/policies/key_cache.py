"""A short-lived, in-process cache in front of the key store.

Every request presents a key, so asking the database each time would put a round trip on the
hot path. Lookups (found or not) are reused for at most `ttl` seconds, which is capped at 1 s:
a key revoked on one replica stops working on every replica within that second, with no
messages between replicas. `invalidate` makes it immediate on the replica that revoked it.
Concurrent misses for the same hash share one store lookup.
"""

from __future__ import annotations

import asyncio

from sluicegate.core.clock import Clock
from sluicegate.core.identity import KeyRecord, KeyStore


class KeyCache:
    __slots__ = (
        "_clock",
        "_entries",
        "_generation",
        "_max_entries",
        "_pending",
        "_store",
        "_ttl",
    )

    def __init__(
        self, store: KeyStore, clock: Clock, *, ttl: float, max_entries: int = 10_000
    ) -> None:
        if ttl < 0:
            raise ValueError("ttl must not be negative")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, KeyRecord | None]] = {}
        self._pending: dict[str, asyncio.Task[KeyRecord | None]] = {}
        self._generation = 0

    async def find(self, key_hash: str) -> KeyRecord | None:
        entry = self._entries.get(key_hash)
        if entry is not None and entry[0] > self._clock.now():
            return entry[1]
        task = self._pending.get(key_hash)
        if task is None:
            task = asyncio.ensure_future(self._load(key_hash, self._generation))
            self._pending[key_hash] = task
            task.add_done_callback(lambda _: self._forget(key_hash, task))
        return await asyncio.shield(task)

    def invalidate(self, key_hash: str | None = None) -> None:
        """Forget one hash, or everything; the next lookup asks the store.

        A lookup already under way when this is called answers its waiters but is not kept.
        """
        self._generation += 1
        if key_hash is None:
            self._entries.clear()
            self._pending.clear()
        else:
            self._entries.pop(key_hash, None)
            self._pending.pop(key_hash, None)

    def __len__(self) -> int:
        return len(self._entries)

    async def _load(self, key_hash: str, generation: int) -> KeyRecord | None:
        record = await self._store.find_by_hash(key_hash)
        if self._ttl > 0 and generation == self._generation:
            self._remember(key_hash, record)
        return record

    def _remember(self, key_hash: str, record: KeyRecord | None) -> None:
        entries = self._entries
        entries.pop(key_hash, None)
        if len(entries) >= self._max_entries:
            # Entries share one TTL, so the oldest inserted is the first to expire.
            del entries[next(iter(entries))]
        entries[key_hash] = (self._clock.now() + self._ttl, record)

    def _forget(self, key_hash: str, task: asyncio.Task[KeyRecord | None]) -> None:
        if self._pending.get(key_hash) is task:
            del self._pending[key_hash]
        if not task.cancelled():
            task.exception()  # retrieved here so an unawaited failure is not reported twice
