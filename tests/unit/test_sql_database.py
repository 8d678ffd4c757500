"""Database: URL handling, option checks, and the SQLite connection settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from sluicegate.stores.sql import Database, DatabaseOptions
from sluicegate.stores.sql.database import parse_database_url, parse_url


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


def test_schema_parameter_is_taken_out_of_the_url() -> None:
    parsed = parse_database_url("postgresql://u@db/gw?schema=Tenant_1&ssl=require")
    assert parsed.schema == "Tenant_1"
    assert parsed.dialect == "postgresql"
    assert "schema" not in parsed.url.query
    assert parsed.url.query == {"ssl": "require"}
    assert parsed.url.drivername == "postgresql+asyncpg"
    assert parse_database_url("postgresql://u@db/gw").schema is None


async def test_the_urls_schema_becomes_the_databases_schema() -> None:
    database = Database("postgresql+asyncpg://u:hunter2@db/gw?schema=Tenant_1")
    try:
        assert database.schema == database.options.schema == "Tenant_1"
        assert "schema" not in database.url.query
        assert "schema=Tenant_1" in repr(database)
        assert "hunter2" not in repr(database)
    finally:
        await database.close()


@pytest.mark.parametrize(
    "schema",
    ["1tenant", "a;drop", "we%20ird", "q%22uote", "caf%C3%A9", "a-b", "x" * 64, ""],
)
def test_bad_schema_in_the_url_is_refused_clearly(schema: str) -> None:
    with pytest.raises(ValueError, match="not a valid schema name") as raised:
        parse_url(f"postgresql+asyncpg://u:hunter2@db/gw?schema={schema}")
    assert "letters, digits and underscores" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_longest_schema_name_is_accepted() -> None:
    assert parse_database_url(f"postgresql://u@db/gw?schema=_{'x' * 62}").schema == "_" + "x" * 62


def test_schema_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="once"):
        parse_url("postgresql://u@db/gw?schema=a&schema=b")


@pytest.mark.parametrize("query", ["?schema=tenant_a", "?schema="])
def test_sqlite_refuses_a_schema_parameter(query: str) -> None:
    with pytest.raises(ValueError, match="PostgreSQL only"):
        parse_url(f"sqlite+aiosqlite:///x.db{query}")
    with pytest.raises(ValueError, match="PostgreSQL only"):
        Database(f"sqlite+aiosqlite:///x.db{query}")


def test_url_and_options_naming_different_schemas_is_refused() -> None:
    with pytest.raises(ValueError, match=r"schema 'a' but the options name 'b'"):
        Database("postgresql://u@db/gw?schema=a", DatabaseOptions(schema="b"))
