"""Managed blocklists held in process: for tests and for a gateway that needs no database.

Implements `core.blocklists.BlocklistStore` as `stores.sql.blocklists.SqlBlocklistStore` does.
Nothing here awaits between reading and writing its dictionary, so on one event loop every
operation is atomic without a lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

from sluicegate.core.blocklists import BlocklistRecord
from sluicegate.core.clock import Clock, SystemClock


class MemoryBlocklistStore:
    """Blocklists by name. `updated_at` is the record's, or `clock`'s wall time when the
    record has none."""

    __slots__ = ("_clock", "_lists")

    def __init__(self, records: Iterable[BlocklistRecord] = (), clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lists: dict[str, BlocklistRecord] = {}
        for record in records:
            self._put(record)

    async def get(self, name: str) -> BlocklistRecord | None:
        return self._lists.get(name)

    async def put(self, record: BlocklistRecord) -> bool:
        return self._put(record)

    def _put(self, record: BlocklistRecord) -> bool:
        """Create or replace the list; True when it was new. A replaced list keeps the
        creation time it was stored with (the new record's is used only if none was). Times
        are kept in UTC, as the SQL store gives them back."""
        created_at = _utc("created_at", record.created_at)
        updated_at = _utc("updated_at", record.updated_at)
        stored = self._lists.get(record.name)
        if stored is not None and stored.created_at is not None:
            created_at = stored.created_at
        if updated_at is None:
            updated_at = datetime.fromtimestamp(self._clock.wall(), UTC)
        self._lists[record.name] = replace(
            record,
            terms=tuple(record.terms),
            patterns=tuple(record.patterns),
            created_at=created_at,
            updated_at=updated_at,
        )
        return stored is None

    async def delete(self, name: str) -> bool:
        return self._lists.pop(name, None) is not None

    async def list(self) -> list[BlocklistRecord]:
        """Every list, ordered by name (by code point)."""
        return [self._lists[name] for name in sorted(self._lists)]

    def __repr__(self) -> str:
        return f"MemoryBlocklistStore(lists={len(self._lists)})"


def _utc(field: str, moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware (for example datetime.now(UTC))")
    return moment.astimezone(UTC)
