"""Managed blocklists in SQL: `core.blocklists.BlocklistStore` on SQLite or PostgreSQL.

One row per list, its terms and patterns as JSON arrays in the order given: gateways read every
list every few seconds, so the read is one query however many terms there are. `put` is the
upsert of `stores.sql.named_rows`, so a replaced list keeps its creation time and two writers
racing to create one list leave exactly one "new".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping

from sluicegate.core.blocklists import BlocklistRecord
from sluicegate.core.clock import Clock, SystemClock
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.named_rows import NamedRows
from sluicegate.stores.sql.schema import blocklists
from sluicegate.stores.sql.types import require_aware


class SqlBlocklistStore:
    """Blocklists by name. `updated_at` is the record's, or `clock`'s wall time when the record
    has none."""

    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self._rows = NamedRows(database, blocklists, "a blocklist")
        self._clock = clock or SystemClock()

    async def get(self, name: str) -> BlocklistRecord | None:
        row = await self._rows.get(name)
        return None if row is None else _record(row)

    async def put(self, record: BlocklistRecord) -> bool:
        """Create or replace the list; True when it was new. A replaced list keeps the
        creation time it was stored with (the new record's is used only if none was)."""
        row = _row(record)
        if row["updated_at"] is None:
            row["updated_at"] = datetime.fromtimestamp(self._clock.wall(), UTC)
        return await self._rows.put(row)

    async def delete(self, name: str) -> bool:
        return await self._rows.delete(name)

    async def list(self) -> list[BlocklistRecord]:
        """Every list, ordered by name (by code point, the same on every database)."""
        rows = await self._rows.all("blocklists")
        return sorted((_record(row) for row in rows), key=lambda record: record.name)


def _row(record: BlocklistRecord) -> dict[str, Any]:
    require_aware("created_at", record.created_at)
    require_aware("updated_at", record.updated_at)
    return {
        "name": record.name,
        "terms": list(record.terms),
        "patterns": list(record.patterns),
        "description": record.description,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def _record(row: RowMapping) -> BlocklistRecord:
    return BlocklistRecord(
        name=row["name"],
        terms=tuple(row["terms"] or ()),
        patterns=tuple(row["patterns"] or ()),
        description=row["description"] or "",
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
