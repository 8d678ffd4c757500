"""Captures in SQL (SQLite and PostgreSQL): written with their usage records in one
transaction, read by request id, purged by age, and replayed from the spool exactly once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, inspect
from tests.contract.ledger_doubles import StallingLedger
from tests.records import usage_record

from sluicegate.core.capture import Capture, CaptureStore, StoredCapture
from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.ledger_writer import LedgerWriter, LedgerWriterOptions
from sluicegate.stores.sql import (
    Database,
    SqlCaptureStore,
    SqlLedgerStore,
    StoreError,
    downgrade,
    upgrade,
)
from sluicegate.stores.sql import captures as captures_module

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WAIT = 30.0
"""Upper bound for awaiting the writer's own progress; never reached when it works."""
LONG = 'naïve 😀 "quoted" \\ text\n' * 2000


def captured(n: int, day: float = 0.0, **fields: object) -> UsageRecord:
    capture = Capture(
        request=f'{{"model":"gpt-4o","messages":[{{"role":"user","content":"prompt {n}"}}]}}',
        response=f'{{"choices":[{{"index":0,"message":{{"content":"answer {n}"}}}}]}}',
    )
    return usage_record(f"req-{n:04d}", T0 + timedelta(days=day), **{"capture": capture, **fields})


@pytest.fixture
def store(sql_db: Database) -> SqlCaptureStore:
    return SqlCaptureStore(sql_db)


def test_implements_the_capture_store_protocol(store: SqlCaptureStore) -> None:
    protocol: CaptureStore = store
    assert protocol is store


async def test_captures_are_written_with_their_records(
    sql_db: Database, store: SqlCaptureStore
) -> None:
    ledger = SqlLedgerStore(sql_db)
    full = captured(
        1,
        capture=Capture(
            request=LONG, response=None, request_truncated=True, response_truncated=True
        ),
    )
    plain = replace(captured(2), capture=None)
    await ledger.write_batch([full, plain, captured(3)])
    assert await ledger.count() == 3
    assert await store.count() == 2
    assert await store.get("req-0001") == StoredCapture(
        "req-0001",
        T0,
        "gpt-4o",
        "key-a",
        full.capture,  # type: ignore[arg-type]
    )
    assert await store.get("req-0002") is None
    assert await store.get("missing") is None
    third = await store.get("req-0003")
    assert third is not None
    assert third.capture == captured(3).capture
    assert third.at.utcoffset() == timedelta(0)


async def test_many_are_read_by_request_id(
    sql_db: Database, store: SqlCaptureStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(captures_module, "MAX_READ", 3)  # several queries for one call
    await SqlLedgerStore(sql_db).write_batch([captured(n) for n in range(10)])
    wanted = ["req-0009", "req-0000", "nope", "req-0004", "req-0000", "req-0005", "req-0007"]
    found = await store.get_many(wanted)
    assert sorted(found) == ["req-0000", "req-0004", "req-0005", "req-0007", "req-0009"]
    assert found["req-0004"].capture == captured(4).capture
    assert await store.get_many([]) == {}


async def test_a_replayed_batch_keeps_the_first_capture(
    sql_db: Database, store: SqlCaptureStore
) -> None:
    ledger = SqlLedgerStore(sql_db)
    first = captured(1)
    await ledger.write_batch([first, first])
    changed = replace(first, capture=Capture(request="{}", response="{}"))
    await ledger.write_batch([changed, captured(2)])
    assert await store.count() == 2
    found = await store.get("req-0001")
    assert found is not None
    assert found.capture == first.capture


async def test_a_record_and_its_capture_are_written_together_or_not_at_all(
    sql_db: Database, store: SqlCaptureStore
) -> None:
    ledger = SqlLedgerStore(sql_db)
    broken = captured(2, capture=Capture(request=None))  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        await ledger.write_batch([captured(1), broken])
    assert await ledger.count() == 0
    assert await store.count() == 0


async def test_purge_deletes_by_age(sql_db: Database, store: SqlCaptureStore) -> None:
    ledger = SqlLedgerStore(sql_db)
    await ledger.write_batch([captured(n, day=n) for n in range(6)])
    assert await store.purge(T0 + timedelta(days=2)) == 2  # days 0 and 1; day 2 is kept
    assert sorted(await store.get_many([f"req-{n:04d}" for n in range(6)])) == [
        "req-0002",
        "req-0003",
        "req-0004",
        "req-0005",
    ]
    assert await store.purge(T0 + timedelta(days=2)) == 0
    assert await ledger.count() == 6, "purging captures leaves the usage records"
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.purge(datetime(2025, 1, 1))


async def test_a_large_purge_goes_in_slices(
    sql_db: Database, store: SqlCaptureStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(captures_module, "PURGE_BATCH", 4)
    await SqlLedgerStore(sql_db).write_batch([captured(n, day=n / 100) for n in range(11)])
    await SqlLedgerStore(sql_db).write_batch([captured(99, day=30)])
    assert await store.purge(T0 + timedelta(days=1)) == 11
    assert await store.count() == 1


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_the_migration_adds_and_removes_the_table(sql_db: Database) -> None:
    async with sql_db.engine.connect() as conn:
        assert "captures" in await conn.run_sync(_tables)
    await downgrade(sql_db, "0004")
    async with sql_db.engine.connect() as conn:
        tables = await conn.run_sync(_tables)
    assert "captures" not in tables
    assert "usage_records" in tables
    await upgrade(sql_db)
    await SqlLedgerStore(sql_db).write_batch([captured(1)])
    assert await SqlCaptureStore(sql_db).count() == 1


async def test_captures_survive_a_crash_through_the_spool(sql_db: Database, tmp_path: Path) -> None:
    options = LedgerWriterOptions(batch_size=5, flush_interval_s=0.05, retry_initial_s=0.01)
    stalling = StallingLedger(SqlLedgerStore(sql_db), batches=1)
    crashed = LedgerWriter(stalling, tmp_path, options)  # type: ignore[arg-type]
    await crashed.start()
    records = [captured(n, capture=Capture(request=LONG, response=f"r{n}")) for n in range(12)]
    for record in records:
        await crashed.record(record)
    async with asyncio.timeout(WAIT):
        await stalling.stalled.wait()
    store = SqlCaptureStore(sql_db)
    assert await store.count() == 5

    replay = LedgerWriter(SqlLedgerStore(sql_db), tmp_path, options)
    await replay.start()
    assert await replay.flush(WAIT)
    assert await replay.stop()
    assert not await crashed.stop(deadline_s=0.0)
    found = await store.get_many([r.request_id for r in records])
    assert {rid: s.capture for rid, s in found.items()} == {
        r.request_id: r.capture for r in records
    }
    assert await SqlLedgerStore(sql_db).count() == 12
