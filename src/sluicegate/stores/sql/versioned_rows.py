"""Rows keyed by (name, version): the numbered insert and the reads that the prompt and dataset
stores share.

A version is inserted under the number its pusher expects (`parent + 1`); the primary key
(name, version) refuses the loser of two racing pushes, which becomes the store's conflict
error, so numbers are unique and gapless without a read-then-write race. Versions are never
deleted, so a version seen inside a transaction exists until it ends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import RowMapping, Table, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated
from sluicegate.stores.sql.rows import read_rows

Check = Callable[[AsyncConnection], Awaitable[None]]
"""Runs in the inserting transaction before the insert, and refuses it by raising."""


class VersionedRows:
    """One table's versions by name. `what` names the versioned thing in error messages
    ("prompt"); `listed` are the columns that `latest` and `every` read (all when None)."""

    def __init__(
        self, database: Database, table: Table, what: str, listed: Sequence[Any] | None = None
    ) -> None:
        self._db = database
        self._table = table
        self._what = what
        self._listed = tuple(listed) if listed is not None else (table,)

    async def insert(
        self, row: dict[str, Any], conflict: Exception, check: Check | None = None
    ) -> None:
        """Store `row`; `conflict` is raised when its version was taken meanwhile."""
        async with translated(f"storing a {self._what} version"):
            try:
                async with self._db.writer.begin() as conn:
                    if check is not None:
                        await check(conn)
                    await conn.execute(insert(self._table).values(row))
            except IntegrityError:
                raise conflict from None

    async def get(self, name: str, version: int) -> RowMapping | None:
        """One version's whole row, the columns listings leave out included."""
        c = self._table.c
        query = select(self._table).where(c.name == name, c.version == version)
        rows = await read_rows(self._db, query, f"reading a {self._what} version")
        return rows[0] if rows else None

    async def latest(self, name: str) -> RowMapping | None:
        c = self._table.c
        query = select(*self._listed).where(c.name == name).order_by(c.version.desc()).limit(1)
        rows = await read_rows(self._db, query, f"reading a {self._what} version")
        return rows[0] if rows else None

    async def every(self, name: str) -> Sequence[RowMapping]:
        """Every version of `name`, oldest first."""
        c = self._table.c
        query = select(*self._listed).where(c.name == name).order_by(c.version)
        return await read_rows(self._db, query, f"reading {self._what} versions")

    async def newest_number(self, conn: AsyncConnection, name: str) -> int | None:
        """The latest version of `name` as `conn`'s transaction sees it (None: no version)."""
        c = self._table.c
        number = (await conn.execute(select(func.max(c.version)).where(c.name == name))).scalar()
        return int(number) if number is not None else None

    async def missing(self, conn: AsyncConnection, name: str, numbers: Iterable[int]) -> list[int]:
        """Which of `numbers` are not versions of `name`, in order."""
        wanted = set(numbers)
        if not wanted:
            return []
        c = self._table.c
        query = select(c.version).where(c.name == name, c.version.in_(sorted(wanted)))
        found = set((await conn.execute(query)).scalars().all())
        return sorted(wanted - found)
