"""Migrations: one schema on SQLite and PostgreSQL, applied from empty, re-runnable, reversible."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from tests.contract.conftest import SqlTarget

from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql import (
    Database,
    DatabaseOptions,
    SqlLedgerStore,
    StoreError,
    StoreUnavailable,
    current_revision,
    downgrade,
    head_revision,
    is_current,
    open_sql_stores,
    upgrade,
)
from sluicegate.stores.sql.schema import metadata

TABLES = {
    "teams",
    "api_keys",
    "usage_records",
    "audit_log",
    "blocklists",
    "prompt_versions",
    "prompt_labels",
    "prompt_label_moves",
    "datasets",
    "eval_runs",
    "eval_run_prompts",
}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _schema_diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_upgrade_from_empty_creates_every_table(sql_target: SqlTarget) -> None:
    database = sql_target.open()
    try:
        assert await current_revision(database) is None
        await upgrade(database)
        assert await current_revision(database) == head_revision()
        assert await is_current(database)
        async with database.engine.connect() as conn:
            assert await conn.run_sync(_tables) >= TABLES
    finally:
        await database.close()


async def test_migrated_schema_matches_the_stores_tables(sql_db: Database) -> None:
    async with sql_db.engine.connect() as conn:
        assert await conn.run_sync(_schema_diff) == []


async def test_upgrade_is_rerunnable_and_keeps_data(sql_db: Database) -> None:
    ledger = SqlLedgerStore(sql_db)
    await ledger.write_batch([_record("r1")])
    await upgrade(sql_db)
    await upgrade(sql_db)
    assert await current_revision(sql_db) == head_revision()
    assert await ledger.count() == 1


async def test_downgrade_to_base_then_upgrade_again(sql_db: Database) -> None:
    await downgrade(sql_db, "base")
    assert await current_revision(sql_db) is None
    async with sql_db.engine.connect() as conn:
        assert not (await conn.run_sync(_tables)) & TABLES
    await upgrade(sql_db)
    assert await current_revision(sql_db) == head_revision()


async def test_replicas_upgrading_at_once_both_succeed(sql_target: SqlTarget) -> None:
    first, second = sql_target.open(), sql_target.open()
    try:
        await asyncio.gather(upgrade(first), upgrade(second))
        assert await current_revision(first) == head_revision()
    finally:
        await first.close()
        await second.close()


async def test_open_stores_upgrades_sqlite_and_checks_postgresql(sql_target: SqlTarget) -> None:
    if sql_target.options.schema is None:
        stores = await open_sql_stores(sql_target.url)
        try:
            assert await stores.ledger.count() == 0
        finally:
            await stores.close()
        return
    with pytest.raises(StoreError, match="sluicegate db upgrade"):
        await open_sql_stores(sql_target.url, options=sql_target.options)
    stores = await open_sql_stores(sql_target.url, options=sql_target.options, auto_upgrade=True)
    await stores.close()
    stores = await open_sql_stores(sql_target.url, options=sql_target.options)
    try:
        assert await stores.ledger.count() == 0
    finally:
        await stores.close()


async def test_store_on_unmigrated_database_says_to_upgrade(sql_target: SqlTarget) -> None:
    database = sql_target.open()
    try:
        with pytest.raises(StoreError, match="sluicegate db upgrade") as raised:
            await SqlLedgerStore(database).count()
        assert not isinstance(raised.value, StoreUnavailable)
    finally:
        await database.close()


async def test_unreachable_postgresql_is_store_unavailable() -> None:
    # Port 9 (discard) on loopback: nothing listens there on a test machine.
    database = Database("postgresql+asyncpg://sg:s3cret-pw@127.0.0.1:9/none")
    try:
        with pytest.raises(StoreUnavailable) as raised:
            await SqlLedgerStore(database).count()
        assert "s3cret-pw" not in str(raised.value)
        assert "s3cret-pw" not in repr(database)
    finally:
        await database.close()


async def test_sqlite_file_that_cannot_be_opened_is_store_unavailable(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/missing-dir/x.db")
    try:
        with pytest.raises(StoreUnavailable, match="unavailable"):
            await upgrade(database)
    finally:
        await database.close()


def _record(request_id: str) -> UsageRecord:
    return UsageRecord(request_id, datetime(2025, 1, 1, tzinfo=UTC), "k", "t", "m", "b", 200)


async def test_tables_are_empty_after_upgrade(sql_db: Database) -> None:
    async with sql_db.engine.connect() as conn:
        for table in sorted(TABLES):
            count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            assert count == 0, table


async def test_embedded_default_creates_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "state" / "nested" / "sluicegate.db"
    stores = await open_sql_stores(f"sqlite+aiosqlite:///{path}")
    try:
        assert path.exists()
        assert await is_current(stores.database)
    finally:
        await stores.close()


def _hold_sqlite_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's write transaction on the file, as a second replica migrating it."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")
    return holder


async def test_sqlite_upgrade_waits_out_a_write_lock_held_past_the_busy_timeout(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.db"
    holder = _hold_sqlite_write_lock(path)
    database = Database(f"sqlite+aiosqlite:///{path}", DatabaseOptions(busy_timeout_ms=200))
    # held for 1.5 busy timeouts: one attempt fails, a later one gets the lock
    asyncio.get_running_loop().call_later(0.3, holder.rollback)
    try:
        await upgrade(database)
        assert await current_revision(database) == head_revision()
    finally:
        holder.close()
        await database.close()


async def test_sqlite_upgrade_gives_up_on_a_lock_that_is_never_released(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = _hold_sqlite_write_lock(path)
    database = Database(f"sqlite+aiosqlite:///{path}", DatabaseOptions(busy_timeout_ms=50))
    try:
        with pytest.raises(StoreUnavailable, match="upgrading the schema"):
            await upgrade(database)
    finally:
        holder.close()
        await database.close()
