"""Where a store contract runs: in memory, on SQLite and on PostgreSQL, from one start time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from tests.contract.services import postgres_schema, postgres_url

from sluicegate.stores.sql import Database, DatabaseOptions, upgrade

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
"""The wall time a contract's clock starts at."""
STORE_KINDS = ("memory", "sqlite", "postgresql")


@asynccontextmanager
async def migrated(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A database of `kind` ("sqlite" or "postgresql") at the latest schema, with room for
    concurrent transactions; closed, and its PostgreSQL schema dropped, on the way out."""
    if kind == "sqlite":
        async with _opened(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}") as database:
            yield database
        return
    url = postgres_url()
    async with postgres_schema(url) as schema:
        options = DatabaseOptions(schema=schema, pool_size=4, max_overflow=4)
        async with _opened(url, options) as database:
            yield database


@asynccontextmanager
async def _opened(url: str, options: DatabaseOptions | None = None) -> AsyncIterator[Database]:
    database = Database(url, options)
    try:
        await upgrade(database)
        yield database
    finally:
        await database.close()
