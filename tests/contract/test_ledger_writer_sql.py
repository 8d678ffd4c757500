"""The ledger writer with the real SQL ledger (SQLite and PostgreSQL): exactly once, through
an outage, and after a crash."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from tests.contract.ledger_doubles import StallingLedger
from tests.records import usage_record

from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.ledger_writer import LedgerWriter, LedgerWriterOptions
from sluicegate.stores.sql import Database, SqlLedgerStore, StoreUnavailable
from sluicegate.stores.sql.schema import usage_records

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WAIT = 30.0
"""Upper bound for awaiting the writer's own progress; never reached when it works."""


def usage(n: int) -> UsageRecord:
    return usage_record(
        f"req-{n:05d}",
        T0 + timedelta(milliseconds=n),
        prompt_tokens=n,
        completion_tokens=1,
        cost=0.001,
    )


def writer_options(**changes: object) -> LedgerWriterOptions:
    values: dict[str, object] = {
        "batch_size": 7,
        "flush_interval_s": 0.05,
        "retry_initial_s": 0.01,
        "retry_max_s": 0.05,
    }
    values.update(changes)
    return LedgerWriterOptions(**values)  # type: ignore[arg-type]


async def stored_ids(database: Database) -> list[str]:
    """Every request id in the ledger, duplicates included (there must be none)."""
    async with database.engine.connect() as conn:
        rows = await conn.execute(select(usage_records.c.request_id))
        return sorted(row[0] for row in rows)


async def stored_tokens(database: Database) -> int:
    async with database.engine.connect() as conn:
        total = await conn.execute(select(func.sum(usage_records.c.prompt_tokens)))
        return int(total.scalar_one() or 0)


class OutageLedger:
    """The real ledger behind a switch: while `down`, every write fails like a lost database."""

    def __init__(self, inner: SqlLedgerStore) -> None:
        self.inner = inner
        self.down = False
        self.failures = 0
        self.failed = asyncio.Event()

    async def write_batch(self, records: Sequence[UsageRecord]) -> None:
        if self.down:
            self.failures += 1
            if self.failures >= 3:
                self.failed.set()
            raise StoreUnavailable("the database is unavailable while writing usage records")
        await self.inner.write_batch(records)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


async def test_every_record_arrives_exactly_once(sql_db: Database, tmp_path: Path) -> None:
    writer = LedgerWriter(SqlLedgerStore(sql_db), tmp_path, writer_options())
    await writer.start()
    await asyncio.gather(*(writer.record(usage(n)) for n in range(100)))
    assert await writer.flush(WAIT)
    assert await writer.stop()
    assert await stored_ids(sql_db) == [f"req-{n:05d}" for n in range(100)]
    assert await stored_tokens(sql_db) == sum(range(100))
    assert await SqlLedgerStore(sql_db).get("req-00042") == usage(42)


async def test_an_outage_loses_nothing(sql_db: Database, tmp_path: Path) -> None:
    ledger = OutageLedger(SqlLedgerStore(sql_db))
    writer = LedgerWriter(ledger, tmp_path, writer_options())  # type: ignore[arg-type]
    await writer.start()
    ledger.down = True
    for n in range(30):
        await writer.record(usage(n))
    async with asyncio.timeout(WAIT):
        await ledger.failed.wait()  # the writer has tried, failed, and is backing off
    for n in range(30, 40):
        await writer.record(usage(n))  # traffic goes on during the outage
    assert await stored_ids(sql_db) == []
    assert writer.lag().pending == 40
    ledger.down = False
    assert await writer.flush(WAIT)
    assert await writer.stop()
    assert await stored_ids(sql_db) == [f"req-{n:05d}" for n in range(40)]
    assert writer.lag().write_failures >= 3


async def test_a_crash_is_replayed_without_duplicates(sql_db: Database, tmp_path: Path) -> None:
    stalling = StallingLedger(SqlLedgerStore(sql_db), batches=1)
    crashed = LedgerWriter(stalling, tmp_path, writer_options(batch_size=10))  # type: ignore[arg-type]
    await crashed.start()
    for n in range(25):
        await crashed.record(usage(n))
    async with asyncio.timeout(WAIT):
        await stalling.stalled.wait()
    assert await stored_ids(sql_db) == [f"req-{n:05d}" for n in range(10)]

    # The crashed writer never confirms again; a new one starts on the same spool.
    replay = LedgerWriter(SqlLedgerStore(sql_db), tmp_path, writer_options(batch_size=10))
    await replay.start()
    assert replay.lag().pending == 25  # the unconfirmed segment, first batch included
    assert await replay.flush(WAIT)
    assert await stored_ids(sql_db) == [f"req-{n:05d}" for n in range(25)]
    assert await stored_tokens(sql_db) == sum(range(25))
    assert await replay.stop()
    assert not await crashed.stop(deadline_s=0.0)  # cancels the stalled write
