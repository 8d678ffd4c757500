"""Captured prompts and completions in SQL: `core.capture.CaptureStore` on SQLite or PostgreSQL.

Captures are written by the usage ledger (`SqlLedgerStore.write_batch`), in the transaction of
their usage records, with `capture_rows` and `capture_insert` from here; this store reads and
purges them. Purging deletes in slices of `PURGE_BATCH` rows, each its own short transaction,
so a large purge never holds the database (on SQLite: the one writer) for long.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, RowMapping, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from sluicegate.core.capture import Capture, StoredCapture
from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated
from sluicegate.stores.sql.schema import captures
from sluicegate.stores.sql.types import require_aware

PURGE_BATCH = 5_000
MAX_READ = 1_000
"""Request ids read in one query (far below either database's bound-parameter limit)."""


class SqlCaptureStore:
    """Captures by request id, and deletion by age."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, request_id: str) -> StoredCapture | None:
        """One request's capture; None when it has none (not captured, or purged)."""
        return (await self.get_many([request_id])).get(request_id)

    async def get_many(self, request_ids: Sequence[str]) -> dict[str, StoredCapture]:
        """The captures of these requests, by request id; requests without one are left out."""
        wanted = list(dict.fromkeys(request_ids))
        found: dict[str, StoredCapture] = {}
        async with translated("reading captures"), self._db.engine.connect() as conn:
            for start in range(0, len(wanted), MAX_READ):
                query = select(captures).where(
                    captures.c.request_id.in_(wanted[start : start + MAX_READ])
                )
                for row in (await conn.execute(query)).mappings():
                    found[row["request_id"]] = _stored(row)
        return found

    async def purge(self, before: datetime) -> int:
        """Delete the captures of requests that arrived before `before`; how many went."""
        require_aware("before", before)
        doomed = (
            select(captures.c.request_id)
            .where(captures.c.at < before)
            .order_by(captures.c.at)
            .limit(PURGE_BATCH)
            .scalar_subquery()
        )
        statement = delete(captures).where(captures.c.request_id.in_(doomed))
        total = 0
        while True:
            async with translated("purging captures"), self._db.writer.begin() as conn:
                deleted = (await conn.execute(statement)).rowcount
            total += deleted
            if deleted < PURGE_BATCH:
                return total

    async def count(self) -> int:
        query = select(func.count()).select_from(captures)
        async with translated("counting captures"), self._db.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())


def capture_insert(database: Database) -> Insert:
    """The insert the ledger runs with `capture_rows`; a stored request id is skipped."""
    if database.dialect == "postgresql":
        return postgresql.insert(captures).on_conflict_do_nothing(index_elements=["request_id"])
    return sqlite.insert(captures).on_conflict_do_nothing(index_elements=["request_id"])


def capture_rows(records: Sequence[UsageRecord]) -> list[dict[str, Any]]:
    """The rows of the records that carry a capture."""
    return [
        {
            "request_id": record.request_id,
            "at": record.at,
            "route": record.model,
            "subject": record.subject,
            "request": record.capture.request,
            "response": record.capture.response,
            "request_truncated": record.capture.request_truncated,
            "response_truncated": record.capture.response_truncated,
        }
        for record in records
        if record.capture is not None
    ]


def _stored(row: RowMapping) -> StoredCapture:
    return StoredCapture(
        request_id=row["request_id"],
        at=row["at"],
        route=row["route"],
        subject=row["subject"],
        capture=Capture(
            request=row["request"],
            response=row["response"],
            request_truncated=bool(row["request_truncated"]),
            response_truncated=bool(row["response_truncated"]),
        ),
    )
