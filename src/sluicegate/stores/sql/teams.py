"""Managed teams in SQL: `core.identity.TeamStore` on SQLite or PostgreSQL.

`put` is an upsert that never loses a team's creation time: an UPDATE first, then an INSERT
that does nothing on a clash (another writer created the team meanwhile), then the UPDATE
again. That works the same on both databases, with no read-then-write race: on SQLite the
write transaction holds the lock from its start; on PostgreSQL the INSERT waits for the rival
insert to commit and the second UPDATE then sees its row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from sluicegate.core.clock import Clock, SystemClock
from sluicegate.core.identity import Limits, TeamRecord
from sluicegate.stores.sql.budgets import budget_columns, budget_of
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated
from sluicegate.stores.sql.schema import teams
from sluicegate.stores.sql.types import require_aware


class SqlTeamStore:
    """Teams by name; `updated_at` records the last write (from `clock`'s wall time)."""

    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self._db = database
        self._clock = clock or SystemClock()

    async def get(self, name: str) -> TeamRecord | None:
        query = select(teams).where(teams.c.name == name)
        async with translated("reading a team"), self._db.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else _record(row)

    async def put(self, record: TeamRecord) -> bool:
        """Create or replace the team; True when it was new. A replaced team keeps the
        creation time it was stored with (the new record's is used only if none was)."""
        row = _row(record)
        row["updated_at"] = datetime.fromtimestamp(self._clock.wall(), UTC)
        async with translated("storing a team"), self._db.writer.begin() as conn:
            if await self._replace(conn, row):
                return False
            inserted = await conn.execute(self._insert_if_absent(row))
            if inserted.rowcount:
                return True
            await self._replace(conn, row)
            return False

    async def delete(self, name: str) -> bool:
        statement = delete(teams).where(teams.c.name == name)
        async with translated("deleting a team"), self._db.writer.begin() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)

    async def list(self) -> list[TeamRecord]:
        """Every team, ordered by name (by code point, the same on every database)."""
        async with translated("listing teams"), self._db.engine.connect() as conn:
            rows = (await conn.execute(select(teams))).mappings().all()
        return sorted((_record(row) for row in rows), key=lambda team: team.name)

    async def _replace(self, conn: AsyncConnection, row: dict[str, Any]) -> bool:
        values = {name: value for name, value in row.items() if name not in ("name", "created_at")}
        if row["created_at"] is not None:
            created = literal(row["created_at"], teams.c.created_at.type)
            values["created_at"] = func.coalesce(teams.c.created_at, created)
        statement = update(teams).where(teams.c.name == row["name"]).values(values)
        return bool((await conn.execute(statement)).rowcount)

    def _insert_if_absent(self, row: dict[str, Any]) -> Any:
        dialect = postgresql if self._db.dialect == "postgresql" else sqlite
        return dialect.insert(teams).values(row).on_conflict_do_nothing(index_elements=["name"])


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
