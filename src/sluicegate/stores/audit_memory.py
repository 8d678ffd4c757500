"""The audit log held in process: for tests and for a gateway that needs no database.

Implements `core.ledger.AuditLog` as `stores.sql.audit.SqlAuditLog` does: append-only, ids that
grow in append order, details that must survive a trip through JSON.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from sluicegate.core.ledger import AuditEntry

MAX_LIST = 10_000


class MemoryAuditLog:
    """Who did what to which object, and when, in the order it happened."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []

    async def append(self, entry: AuditEntry) -> int:
        """Store the entry and return its id (ids grow in append order).

        The details are stored as JSON would give them back, so a caller that later changes
        the mapping it passed cannot rewrite history."""
        try:
            details = json.loads(json.dumps(dict(entry.details)))
        except (TypeError, ValueError) as error:
            raise ValueError(f"audit details must be JSON-serialisable: {error}") from None
        entry_id = len(self._entries) + 1
        self._entries.append(replace(entry, id=entry_id, details=details))
        return entry_id

    async def list(self, since: datetime | None = None, limit: int = 100) -> list[AuditEntry]:
        """Entries with `at >= since`, oldest first, in append order; at most `limit`."""
        if since is not None and since.utcoffset() is None:
            raise ValueError("since must be timezone-aware (for example datetime.now(UTC))")
        if not 1 <= limit <= MAX_LIST:
            raise ValueError(f"limit must be between 1 and {MAX_LIST}, got {limit}")
        kept = (entry for entry in self._entries if since is None or entry.at >= since)
        return [entry for _, entry in zip(range(limit), kept, strict=False)]

    def __repr__(self) -> str:
        return f"MemoryAuditLog(entries={len(self._entries)})"
