"""The audit log in SQL: `core.ledger.AuditLog` on SQLite or PostgreSQL.

Append-only twice over: this class has no way to change or delete an entry, and the database
itself refuses UPDATE and DELETE on the table (triggers created by the migration).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import RowMapping, insert, select

from sluicegate.core.ledger import AuditEntry
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated
from sluicegate.stores.sql.schema import audit_log
from sluicegate.stores.sql.types import require_aware

MAX_LIST = 10_000


class SqlAuditLog:
    """Who did what to which object, and when, in the order it happened."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def append(self, entry: AuditEntry) -> int:
        """Store the entry and return its id (ids grow in append order)."""
        details = dict(entry.details)
        try:
            json.dumps(details)
        except (TypeError, ValueError) as error:
            raise ValueError(f"audit details must be JSON-serialisable: {error}") from None
        statement = (
            insert(audit_log)
            .values(
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                target=entry.target,
                details=details,
            )
            .returning(audit_log.c.id)
        )
        async with translated("appending to the audit log"), self._db.writer.begin() as conn:
            return int((await conn.execute(statement)).scalar_one())

    async def list(self, since: datetime | None = None, limit: int = 100) -> list[AuditEntry]:
        """Entries with `at >= since`, oldest first, in append order; at most `limit`."""
        require_aware("since", since)
        if not 1 <= limit <= MAX_LIST:
            raise ValueError(f"limit must be between 1 and {MAX_LIST}, got {limit}")
        query = select(audit_log).order_by(audit_log.c.id).limit(limit)
        if since is not None:
            query = query.where(audit_log.c.at >= since)
        async with translated("reading the audit log"), self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_entry(row) for row in rows]


def _entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        target=row["target"],
        details=row["details"],
    )
