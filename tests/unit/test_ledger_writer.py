"""The ledger writer against an in-memory ledger: batching, outages, lag, stop, fsync modes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.fakes.ledger import MemoryLedger
from tests.records import usage_record

from sluicegate.core.clock import ManualClock
from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.ledger_writer import LedgerWriter, LedgerWriterOptions

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WAIT = 10.0
"""Upper bound for awaiting the writer's own progress; never reached when it works."""


def usage(n: int) -> UsageRecord:
    return usage_record(f"req-{n:05d}", T0 + timedelta(seconds=n), backend="ptu")


def options(**changes: object) -> LedgerWriterOptions:
    values: dict[str, object] = {
        "batch_size": 50,
        "flush_interval_s": 3600.0,  # batches are written when full or when flushed
        "retry_initial_s": 0.5,
        "retry_max_s": 4.0,
    }
    values.update(changes)
    return LedgerWriterOptions(**values)  # type: ignore[arg-type]


async def started(
    ledger: MemoryLedger, spool: Path, clock: ManualClock | None = None, **changes: object
) -> LedgerWriter:
    writer = LedgerWriter(ledger, spool, options(**changes), clock=clock or ManualClock())
    await writer.start()
    return writer


async def test_a_full_batch_is_written_without_waiting_for_the_interval(tmp_path: Path) -> None:
    ledger = MemoryLedger()
    writer = await started(ledger, tmp_path, batch_size=5)
    for n in range(5):
        await writer.record(usage(n))
    async with asyncio.timeout(WAIT):
        await ledger.wrote.wait()
    assert ledger.batches == [5]
    assert writer.lag().pending == 0
    assert await writer.stop()


async def test_records_wait_for_their_batch_and_a_flush_writes_them(tmp_path: Path) -> None:
    ledger = MemoryLedger()
    writer = await started(ledger, tmp_path, batch_size=100)
    for n in range(7):
        await writer.record(usage(n))
    assert ledger.stored == {}  # the record is spooled, not yet written: off the request path
    assert writer.lag().pending == 7
    assert await writer.flush(WAIT)
    assert sorted(ledger.stored) == [f"req-{n:05d}" for n in range(7)]
    assert ledger.batches == [7]
    assert await writer.stop()


async def test_the_flush_interval_bounds_how_long_a_record_waits(tmp_path: Path) -> None:
    ledger = MemoryLedger()
    clock = ManualClock()
    writer = await started(ledger, tmp_path, clock, batch_size=100, flush_interval_s=0.01)
    await writer.record(usage(1))
    clock.advance(1.0)  # the record has now waited longer than the interval
    async with asyncio.timeout(WAIT):
        await ledger.wrote.wait()
    assert list(ledger.stored) == ["req-00001"]
    assert await writer.stop()


async def test_lag_reports_pending_records_and_the_oldest_ones_age(tmp_path: Path) -> None:
    ledger = MemoryLedger()
    clock = ManualClock()
    writer = await started(ledger, tmp_path, clock, batch_size=100)
    assert writer.lag().pending == 0
    assert writer.lag().oldest_pending_age_s == 0.0
    await writer.record(usage(1))
    clock.advance(2.0)
    await writer.record(usage(2))
    clock.advance(1.5)
    lag = writer.lag()
    assert lag.pending == 2
    assert lag.oldest_pending_age_s == pytest.approx(3.5)
    assert lag.spool_bytes > 0
    assert await writer.flush(WAIT)
    lag = writer.lag()
    assert (lag.pending, lag.oldest_pending_age_s, lag.written) == (0, 0.0, 2)
    assert await writer.stop()


async def test_a_thirty_second_outage_loses_nothing(tmp_path: Path) -> None:
    """The database is down for 30 s of (simulated) time while traffic keeps coming."""
    ledger = MemoryLedger()
    clock = ManualClock()
    outage_ends = clock.now() + 30.0
    delays: list[float] = []
    arrivals = iter(range(100, 10_000))

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        clock.advance(seconds)
        ledger.down = clock.now() < outage_ends
        await writer.record(usage(next(arrivals)))  # traffic during the outage
        await asyncio.sleep(0)

    writer = LedgerWriter(ledger, tmp_path, options(), clock=clock, sleep=sleep)
    await writer.start()
    ledger.down = True
    for n in range(20):
        await writer.record(usage(n))
    assert await writer.flush(WAIT)

    assert clock.now() >= outage_ends
    assert delays[:4] == [0.5, 1.0, 2.0, 4.0]
    assert max(delays) == 4.0
    expected = {f"req-{n:05d}" for n in range(20)} | {
        f"req-{n:05d}" for n in range(100, 100 + len(delays))
    }
    assert set(ledger.stored) == expected
    assert sum(ledger.batches) == len(expected)  # exactly once: nothing written twice
    lag = writer.lag()
    assert lag.write_failures == len(delays)
    assert lag.pending == 0
    assert await writer.stop()


async def test_any_store_error_is_retried_not_just_unavailability(tmp_path: Path) -> None:
    ledger = MemoryLedger()
    failures = iter([RuntimeError("boom"), ValueError("bad")])
    original = ledger.write_batch

    async def flaky(records: Sequence[UsageRecord]) -> None:
        error = next(failures, None)
        if error is not None:
            raise error
        await original(records)

    ledger.write_batch = flaky  # type: ignore[method-assign]

    async def no_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    writer = LedgerWriter(ledger, tmp_path, options(), clock=ManualClock(), sleep=no_sleep)
    await writer.start()
    await writer.record(usage(1))
    assert await writer.flush(WAIT)
    assert list(ledger.stored) == ["req-00001"]
    assert writer.lag().write_failures == 2
    assert await writer.stop()


async def test_stop_leaves_what_it_cannot_write_for_the_next_start(tmp_path: Path) -> None:
    ledger = MemoryLedger()
    ledger.down = True
    writer = await started(ledger, tmp_path)
    for n in range(3):
        await writer.record(usage(n))
    assert not await writer.stop(deadline_s=0.05)
    assert ledger.stored == {}

    ledger.down = False
    again = await started(ledger, tmp_path)
    assert again.lag().pending == 3
    assert await again.flush(WAIT)
    assert sorted(ledger.stored) == ["req-00000", "req-00001", "req-00002"]
    assert await again.stop()


async def test_replayed_records_show_their_age_at_start(tmp_path: Path) -> None:
    clock = ManualClock()
    ledger = MemoryLedger()
    ledger.down = True
    first = await started(ledger, tmp_path, clock)
    await first.record(usage(1))
    assert not await first.stop(deadline_s=0.01)
    clock.advance(60.0)
    second = await started(MemoryLedger(), tmp_path, clock)
    assert second.lag().oldest_pending_age_s == pytest.approx(60.0)
    assert await second.stop()


async def test_fsync_always_returns_after_the_record_is_flushed(tmp_path: Path) -> None:
    ledger = MemoryLedger()
    writer = await started(ledger, tmp_path, fsync="always")
    await asyncio.gather(*(writer.record(usage(n)) for n in range(20)))
    assert writer.lag().pending == 20
    assert await writer.flush(WAIT)
    assert len(ledger.stored) == 20
    assert await writer.stop()


async def test_the_spool_cap_is_reported_and_spooling_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = MemoryLedger()
    ledger.down = True
    writer = await started(ledger, tmp_path, max_spool_bytes=2000)
    for n in range(20):
        await writer.record(usage(n))
    lag = writer.lag()
    assert lag.over_cap
    assert lag.cap_reached == 1
    assert lag.pending == 20
    assert lag.dropped == 0
    assert "past its cap of 2000" in caplog.text
    ledger.down = False
    assert await writer.flush(WAIT)
    assert len(ledger.stored) == 20
    assert not writer.lag().over_cap
    assert await writer.stop()


async def test_a_record_after_stop_is_counted_as_dropped_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = await started(MemoryLedger(), tmp_path)
    assert await writer.stop()
    await writer.record(usage(1))
    assert writer.lag().dropped == 1
    assert "req-00001 LOST" in caplog.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"fsync": "sometimes"}, "fsync"),
        ({"flush_interval_s": 0}, "flush_interval_s"),
        ({"retry_max_s": 0.1}, "retry_max_s"),
    ],
)
def test_bad_options_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        options(**change)
