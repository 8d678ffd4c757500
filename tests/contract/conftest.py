"""Shared fixtures for the SQL store contract tests: one case, every supported database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.contract.services import postgres_schema, postgres_url
from tests.contract.store_cases import STORE_KINDS, T0, migrated

from sluicegate.core.clock import ManualClock
from sluicegate.stores.sql import Database, DatabaseOptions, upgrade


@dataclass(frozen=True)
class SqlTarget:
    """Where one test's database lives: a URL and the options that isolate it."""

    url: str
    options: DatabaseOptions

    def open(self, **changes: object) -> Database:
        options = DatabaseOptions(**{**_fields(self.options), **changes})
        return Database(self.url, options)


@pytest.fixture(autouse=True)
async def _sqlite_threads_finish() -> AsyncIterator[None]:
    """Let aiosqlite's worker threads end while this test's event loop still runs.

    A worker that outlives the loop (a failed connect ends asynchronously) reports to a closed
    loop and raises in its thread, which pytest then blames on whichever test runs next.
    """
    yield
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 5.0)


def _fields(options: DatabaseOptions) -> dict[str, object]:
    return {name: getattr(options, name) for name in options.__dataclass_fields__}


@pytest.fixture(params=["sqlite", "postgresql"])
async def sql_target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlTarget]:
    """An empty database: a SQLite file, or a fresh schema on the test PostgreSQL."""
    if request.param == "sqlite":
        yield SqlTarget(f"sqlite+aiosqlite:///{tmp_path / 'sluicegate.db'}", DatabaseOptions())
        return
    url = postgres_url()
    async with postgres_schema(url) as schema:
        yield SqlTarget(url, DatabaseOptions(schema=schema, pool_size=2, max_overflow=2))


@pytest.fixture
async def sql_db(sql_target: SqlTarget) -> AsyncIterator[Database]:
    """A database migrated to the latest schema, closed after the test."""
    database = sql_target.open()
    await upgrade(database)
    yield database
    await database.close()


@pytest.fixture
def clock() -> ManualClock:
    """A clock whose wall time starts at `T0` and moves only when a test advances it."""
    return ManualClock(wall_start=T0.timestamp())


@pytest.fixture(params=STORE_KINDS)
async def store_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Database | None]:
    """Where a store under contract keeps its data: a migrated database, or None for the
    in-memory store."""
    if request.param == "memory":
        yield None
        return
    async with migrated(request.param, tmp_path) as database:
        yield database
