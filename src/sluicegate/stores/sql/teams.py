"""Managed teams in SQL: `core.identity.TeamStore` on SQLite or PostgreSQL.

`put` is the upsert of `stores.sql.named_rows`, which never loses a team's creation time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping

from sluicegate.core.clock import Clock, SystemClock
from sluicegate.core.identity import Limits, TeamRecord
from sluicegate.stores.sql.budgets import budget_columns, budget_of
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.named_rows import NamedRows
from sluicegate.stores.sql.schema import teams
from sluicegate.stores.sql.types import require_aware


class SqlTeamStore:
    """Teams by name; `updated_at` records the last write (from `clock`'s wall time)."""

    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self._rows = NamedRows(database, teams, "a team")
        self._clock = clock or SystemClock()

    async def get(self, name: str) -> TeamRecord | None:
        row = await self._rows.get(name)
        return None if row is None else _record(row)

    async def put(self, record: TeamRecord) -> bool:
        """Create or replace the team; True when it was new. A replaced team keeps the
        creation time it was stored with (the new record's is used only if none was)."""
        row = _row(record)
        row["updated_at"] = datetime.fromtimestamp(self._clock.wall(), UTC)
        return await self._rows.put(row)

    async def delete(self, name: str) -> bool:
        return await self._rows.delete(name)

    async def list(self) -> list[TeamRecord]:
        """Every team, ordered by name (by code point, the same on every database)."""
        rows = await self._rows.all("teams")
        return sorted((_record(row) for row in rows), key=lambda team: team.name)


def _row(record: TeamRecord) -> dict[str, Any]:
    require_aware("created_at", record.created_at)
    return {
        "name": record.name,
        "models": sorted(record.models),
        "tpm": record.limits.tpm,
        "rpm": record.limits.rpm,
        "max_concurrency": record.limits.max_concurrency,
        "created_at": record.created_at,
        **budget_columns(record.budget),
    }


def _record(row: RowMapping) -> TeamRecord:
    return TeamRecord(
        name=row["name"],
        models=frozenset(row["models"] or ()),
        limits=Limits(tpm=row["tpm"], rpm=row["rpm"], max_concurrency=row["max_concurrency"]),
        budget=budget_of(row),
        created_at=row["created_at"],
    )
