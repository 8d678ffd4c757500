"""Database: URL handling, option checks, and the SQLite connection settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from sluicegate.stores.sql import Database, DatabaseOptions
from sluicegate.stores.sql.database import parse_url


@pytest.mark.parametrize(
    ("url", "driver", "dialect"),
    [
        ("sqlite+aiosqlite:///sluicegate.db", "sqlite+aiosqlite", "sqlite"),
        ("sqlite:///sluicegate.db", "sqlite+aiosqlite", "sqlite"),
        ("postgresql+asyncpg://u@db:5432/gw", "postgresql+asyncpg", "postgresql"),
        ("postgresql://u@db/gw", "postgresql+asyncpg", "postgresql"),
        ("postgres://u@db/gw", "postgresql+asyncpg", "postgresql"),
    ],
)
def test_urls_get_their_async_driver(url: str, driver: str, dialect: str) -> None:
    parsed, found = parse_url(url)
    assert parsed.drivername == driver
    assert found == dialect


def test_unsupported_scheme_is_named_without_the_password() -> None:
    with pytest.raises(ValueError, match="'mysql' is not supported") as raised:
        parse_url("mysql://root:hunter2@db/gw")
    assert "hunter2" not in str(raised.value)
    assert "postgresql+asyncpg://" in str(raised.value)


def test_garbage_url_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="not a valid URL"):
        parse_url("not a url at all")


async def test_repr_hides_the_password() -> None:
    database = Database("postgresql+asyncpg://gw:hunter2@db:5432/gw")
    try:
        assert "hunter2" not in repr(database)
        assert "db:5432/gw" in repr(database)
    finally:
        await database.close()


def test_schema_applies_to_postgresql_only() -> None:
    with pytest.raises(ValueError, match="PostgreSQL only"):
        Database("sqlite+aiosqlite:///x.db", DatabaseOptions(schema="tenant_a"))


@pytest.mark.parametrize("schema", ["a;drop", "we ird", 'q"uote'])
def test_schema_names_are_checked(schema: str) -> None:
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        DatabaseOptions(schema=schema)


def test_pool_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="pool_size"):
        DatabaseOptions(pool_size=0)


async def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path: Path) -> None:
    database = Database(
        f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}", DatabaseOptions(busy_timeout_ms=1234)
    )
    try:
        async with database.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one() == 1234
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar_one() == 2  # FULL
    finally:
        await database.close()


async def test_sqlite_ddl_is_transactional(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}")
    try:
        async with database.engine.connect() as conn:
            transaction = await conn.begin()
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await transaction.rollback()
            tables = await conn.execute(text("SELECT name FROM sqlite_master WHERE name = 't'"))
            assert tables.all() == []
    finally:
        await database.close()


async def test_sqlite_writer_takes_the_write_lock_when_it_begins(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}"
    first, second = Database(url), Database(url, DatabaseOptions(busy_timeout_ms=1))
    try:
        async with first.writer.begin() as conn:
            await conn.execute(text("SELECT 1"))
            with pytest.raises(OperationalError, match="locked"):
                async with second.writer.begin() as other:
                    await other.execute(text("SELECT 1"))
    finally:
        await first.close()
        await second.close()
