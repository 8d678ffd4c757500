"""Keys held in process: for tests and for a gateway that needs no database.

Implements `core.identity.KeyStore`. Nothing here awaits between reading and writing its
dictionaries, so on one event loop every operation is atomic without a lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from sluicegate.core.identity import KeyRecord


class DuplicateKeyError(ValueError):
    """A key with the same id or hash is already stored."""


class MemoryKeyStore:
    """Keys by hash and by id, in insertion order."""

    __slots__ = ("_by_hash", "_hash_of")

    def __init__(self, records: Iterable[KeyRecord] = ()) -> None:
        self._by_hash: dict[str, KeyRecord] = {}
        self._hash_of: dict[str, str] = {}
        for record in records:
            self._insert(record)

    async def find_by_hash(self, key_hash: str) -> KeyRecord | None:
        return self._by_hash.get(key_hash)

    async def get(self, key_id: str) -> KeyRecord | None:
        key_hash = self._hash_of.get(key_id)
        return None if key_hash is None else self._by_hash[key_hash]

    async def add(self, record: KeyRecord) -> None:
        self._insert(record)

    async def revoke(self, key_id: str, at: datetime) -> bool:
        """Revoke at `at`; an earlier revocation time already set is kept."""
        key_hash = self._hash_of.get(key_id)
        if key_hash is None:
            return False
        record = self._by_hash[key_hash]
        if record.revoked_at is None or at < record.revoked_at:
            self._by_hash[key_hash] = replace(record, revoked_at=at)
        return True

    async def update(self, record: KeyRecord) -> bool:
        """Replace what a key may do; its hash, creation and revocation stay."""
        key_hash = self._hash_of.get(record.key_id)
        if key_hash is None:
            return False
        stored = self._by_hash[key_hash]
        self._by_hash[key_hash] = replace(
            record,
            key_hash=stored.key_hash,
            created_at=stored.created_at,
            revoked_at=stored.revoked_at,
        )
        return True

    async def list(self, team: str | None = None) -> list[KeyRecord]:
        return [record for record in self._by_hash.values() if team is None or record.team == team]

    def _insert(self, record: KeyRecord) -> None:
        if record.key_id in self._hash_of:
            raise DuplicateKeyError(f"a key with id '{record.key_id}' already exists")
        if record.key_hash in self._by_hash:
            raise DuplicateKeyError("a key with the same hash already exists")
        self._by_hash[record.key_hash] = record
        self._hash_of[record.key_id] = record.key_hash

    def __repr__(self) -> str:
        return f"MemoryKeyStore(keys={len(self._by_hash)})"
