"""Rows keyed by a unique `name` column: the reads and the creation-preserving upsert that the
team and blocklist stores share.

`put` never loses a row's creation time: an UPDATE first, then an INSERT that does nothing on a
clash (another writer created the row meanwhile), then the UPDATE again. That works the same on
both databases, with no read-then-write race: on SQLite the write transaction holds the lock
from its start; on PostgreSQL the INSERT waits for the rival insert to commit and the second
UPDATE then sees its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, Table, delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated


class NamedRows:
    """One table's rows by name; `what` names a row in error messages ("a team")."""

    def __init__(self, database: Database, table: Table, what: str) -> None:
        self._db = database
        self._table = table
        self._what = what

    async def get(self, name: str) -> RowMapping | None:
        query = select(self._table).where(self._table.c.name == name)
        async with translated(f"reading {self._what}"), self._db.engine.connect() as conn:
            return (await conn.execute(query)).mappings().first()

    async def put(self, row: dict[str, Any]) -> bool:
        """Create or replace the row; True when it was new. A replaced row keeps the creation
        time it was stored with (`row`'s is used only if none was)."""
        async with translated(f"storing {self._what}"), self._db.writer.begin() as conn:
            if await self._replace(conn, row):
                return False
            inserted = await conn.execute(self._insert_if_absent(row))
            if inserted.rowcount:
                return True
            await self._replace(conn, row)
            return False

    async def delete(self, name: str) -> bool:
        statement = delete(self._table).where(self._table.c.name == name)
        async with translated(f"deleting {self._what}"), self._db.writer.begin() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)

    async def all(self, plural: str) -> Sequence[RowMapping]:
        async with translated(f"listing {plural}"), self._db.engine.connect() as conn:
            return (await conn.execute(select(self._table))).mappings().all()

    async def _replace(self, conn: AsyncConnection, row: dict[str, Any]) -> bool:
        table = self._table
        values = {name: value for name, value in row.items() if name not in ("name", "created_at")}
        if row["created_at"] is not None:
            created = literal(row["created_at"], table.c.created_at.type)
            values["created_at"] = func.coalesce(table.c.created_at, created)
        statement = update(table).where(table.c.name == row["name"]).values(values)
        return bool((await conn.execute(statement)).rowcount)

    def _insert_if_absent(self, row: dict[str, Any]) -> Any:
        dialect = postgresql if self._db.dialect == "postgresql" else sqlite
        insert = dialect.insert(self._table).values(row)
        return insert.on_conflict_do_nothing(index_elements=["name"])
