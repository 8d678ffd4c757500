"""A request is known from the moment its record is spooled: the writer's unwritten records
first, then the ledger database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.fakes.ledger import MemoryLedger
from tests.records import usage_record

from sluicegate.core.clock import ManualClock
from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.ledger_lookup import LedgerLookup
from sluicegate.stores.ledger_writer import LedgerWriter, LedgerWriterOptions

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WAIT = 10.0


def usage(n: int) -> UsageRecord:
    return usage_record(f"req-{n}", T0 + timedelta(seconds=n), backend="ptu")


async def writer(ledger: MemoryLedger, spool: Path, **options: object) -> LedgerWriter:
    values: dict[str, object] = {"batch_size": 100, "flush_interval_s": 3600.0}
    values.update(retry_initial_s=0.05, **options)
    settings = LedgerWriterOptions(**values)  # type: ignore[arg-type]
    started = LedgerWriter(ledger, spool, settings, clock=ManualClock())
    await started.start()
    return started


async def test_a_spooled_record_is_found_before_its_batch_is_written(tmp_path: Path) -> None:
    ledger = MemoryLedger()
    spooler = await writer(ledger, tmp_path)
    lookup = LedgerLookup(spooler, ledger)
    try:
        await spooler.record(usage(1))
        assert ledger.stored == {}  # the batch waits for an hour
        assert await lookup.find("req-1") == usage(1)
        assert ledger.asked == []  # found without asking the database
        assert await spooler.flush(WAIT)
        assert spooler.unwritten("req-1") is None  # written: the database answers now
        assert await lookup.find("req-1") == usage(1)
        assert ledger.asked == ["req-1"]
        assert await lookup.find("req-2") is None
    finally:
        await spooler.stop()


async def test_while_the_database_is_down_the_newest_records_stay_known(tmp_path: Path) -> None:
    ledger = MemoryLedger()
    ledger.down = True
    spooler = await writer(ledger, tmp_path, max_unwritten_index=2)
    lookup = LedgerLookup(spooler, ledger)
    try:
        for n in (1, 2, 3):
            await spooler.record(usage(n))
        assert not await spooler.flush(0.2)  # the write fails and is retried
        assert await lookup.find("req-1") is None  # the oldest left the bounded index
        assert await lookup.find("req-3") == usage(3)
        ledger.down = False
        assert await spooler.flush(WAIT)
        assert [await lookup.find(f"req-{n}") for n in (1, 2, 3)] == [usage(1), usage(2), usage(3)]
    finally:
        await spooler.stop()


async def test_without_a_writer_only_the_database_is_asked() -> None:
    ledger = MemoryLedger()
    await ledger.write_batch([usage(7)])
    assert await LedgerLookup(None, ledger).find("req-7") == usage(7)


def test_the_index_bound_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="max_unwritten_index"):
        LedgerWriterOptions(max_unwritten_index=-1)
