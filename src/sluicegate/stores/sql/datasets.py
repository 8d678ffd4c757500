"""Evaluation datasets in SQL: `core.datasets.DatasetStore` on SQLite or PostgreSQL.

A version is inserted under the number its pusher expects (`parent + 1`); the primary key
(name, version) refuses the loser of two racing pushes, which becomes `DatasetVersionConflict`,
so numbers are unique and gapless without a read-then-write race. Listings never read content.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, Select, and_, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from sluicegate.core.clock import Clock, SystemClock
from sluicegate.core.datasets import DatasetInfo, DatasetVersion, DatasetVersionConflict
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated
from sluicegate.stores.sql.schema import datasets

_D = datasets.c
_INFO = (
    _D.name,
    _D.version,
    _D["items"],  # not `_D.items`: that is the column collection's method
    _D.content_hash,
    _D.description,
    _D.author,
    _D.created_at,
)


class SqlDatasetStore:
    """Dataset versions; times come from `clock`'s wall time."""

    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self._db = database
        self._clock = clock or SystemClock()

    async def add_version(
        self,
        name: str,
        content: str,
        content_hash: str,
        *,
        items: int,
        description: str,
        author: str,
        parent: int | None,
    ) -> DatasetInfo:
        if parent is not None and parent < 1:
            raise ValueError(f"a parent version is a positive number, not {parent}")
        info = DatasetInfo(
            name=name,
            version=(parent or 0) + 1,
            items=items,
            content_hash=content_hash,
            description=description,
            author=author,
            created_at=datetime.fromtimestamp(self._clock.wall(), UTC),
        )
        async with translated("storing a dataset version"):
            try:
                async with self._db.writer.begin() as conn:
                    if parent is not None and await _latest_number(conn, name) != parent:
                        raise _conflict(name, info.version)
                    await conn.execute(insert(datasets).values(_row(info, content)))
            except IntegrityError:
                raise _conflict(name, info.version) from None
        return info

    async def get_version(self, name: str, version: int) -> DatasetVersion | None:
        query = select(datasets).where(_D.name == name, _D.version == version)
        rows = await self._read(query, "reading a dataset version")
        return DatasetVersion(_info(rows[0]), rows[0]["content"]) if rows else None

    async def latest(self, name: str) -> DatasetInfo | None:
        query = select(*_INFO).where(_D.name == name).order_by(_D.version.desc()).limit(1)
        rows = await self._read(query, "reading a dataset version")
        return _info(rows[0]) if rows else None

    async def versions(self, name: str) -> Sequence[DatasetInfo]:
        query = select(*_INFO).where(_D.name == name).order_by(_D.version)
        return [_info(row) for row in await self._read(query, "reading dataset versions")]

    async def datasets(self) -> Sequence[DatasetInfo]:
        newest = select(_D.name, func.max(_D.version).label("newest")).group_by(_D.name).subquery()
        query = select(*_INFO).join(
            newest, and_(_D.name == newest.c.name, _D.version == newest.c.newest)
        )
        rows = await self._read(query, "listing datasets")
        # In code-point order, the same on every database (collations differ).
        return sorted((_info(row) for row in rows), key=lambda info: info.name)

    async def _read(self, query: Select[Any], doing: str) -> Sequence[RowMapping]:
        async with translated(doing), self._db.engine.connect() as conn:
            rows: Sequence[RowMapping] = (await conn.execute(query)).mappings().all()
        return rows

    def __repr__(self) -> str:
        return f"SqlDatasetStore({self._db!r})"


async def _latest_number(conn: AsyncConnection, name: str) -> int | None:
    found = await conn.execute(select(func.max(_D.version)).where(_D.name == name))
    number = found.scalar()
    return int(number) if number is not None else None


def _conflict(name: str, number: int) -> DatasetVersionConflict:
    return DatasetVersionConflict(
        f"version {number} of dataset '{name}' was pushed meanwhile; push again"
    )


def _row(info: DatasetInfo, content: str) -> dict[str, Any]:
    return {
        "name": info.name,
        "version": info.version,
        "content": content,
        "items": info.items,
        "content_hash": info.content_hash,
        "description": info.description,
        "author": info.author,
        "created_at": info.created_at,
    }


def _info(row: RowMapping) -> DatasetInfo:
    return DatasetInfo(
        name=row["name"],
        version=row["version"],
        items=row["items"],
        content_hash=row["content_hash"],
        description=row["description"],
        author=row["author"],
        created_at=row["created_at"],
    )
