"""Evaluation datasets in SQL: `core.datasets.DatasetStore` on SQLite or PostgreSQL.

A version is inserted under the number its pusher expects (`parent + 1`); the primary key
(name, version) refuses the loser of two racing pushes, which becomes `DatasetVersionConflict`,
so numbers are unique and gapless without a read-then-write race. Listings never read content.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sluicegate.core.clock import Clock, SystemClock
from sluicegate.core.datasets import DatasetInfo, DatasetVersion, DatasetVersionConflict
from sluicegate.core.versions import next_version, pushed_meanwhile
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.rows import read_rows, record_of, row_of
from sluicegate.stores.sql.schema import datasets
from sluicegate.stores.sql.versioned_rows import VersionedRows

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
        self._versions = VersionedRows(database, datasets, "dataset", listed=_INFO)

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
        info = DatasetInfo(
            name=name,
            version=next_version(parent),
            items=items,
            content_hash=content_hash,
            description=description,
            author=author,
            created_at=datetime.fromtimestamp(self._clock.wall(), UTC),
        )
        conflict = DatasetVersionConflict(pushed_meanwhile("dataset", name, info.version))

        async def parent_is_latest(conn: AsyncConnection) -> None:
            if parent is not None and await self._versions.newest_number(conn, name) != parent:
                raise conflict

        await self._versions.insert(row_of(info, content=content), conflict, parent_is_latest)
        return info

    async def get_version(self, name: str, version: int) -> DatasetVersion | None:
        row = await self._versions.get(name, version)
        if row is None:
            return None
        return DatasetVersion(record_of(DatasetInfo, row), row["content"])

    async def latest(self, name: str) -> DatasetInfo | None:
        row = await self._versions.latest(name)
        return None if row is None else record_of(DatasetInfo, row)

    async def versions(self, name: str) -> Sequence[DatasetInfo]:
        return [record_of(DatasetInfo, row) for row in await self._versions.every(name)]

    async def datasets(self) -> Sequence[DatasetInfo]:
        newest = select(_D.name, func.max(_D.version).label("newest")).group_by(_D.name).subquery()
        query = select(*_INFO).join(
            newest, and_(_D.name == newest.c.name, _D.version == newest.c.newest)
        )
        rows = await read_rows(self._db, query, "listing datasets")
        # In code-point order, the same on every database (collations differ).
        return sorted((record_of(DatasetInfo, row) for row in rows), key=lambda info: info.name)

    def __repr__(self) -> str:
        return f"SqlDatasetStore({self._db!r})"
