"""The capture purger: what it deletes, how often, and that a failure never stops it.

Time is a ManualClock and waiting is a fake `sleep` that advances it, so nothing sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from sluicegate.core.capture import StoredCapture
from sluicegate.core.clock import ManualClock
from sluicegate.stores.capture_retention import CapturePurger
from sluicegate.stores.sql import StoreUnavailable

WAIT = 10.0
"""Upper bound for awaiting the purger's own progress; never reached when it works."""


class Store:
    def __init__(self, failures: int = 0) -> None:
        self.cutoffs: list[datetime] = []
        self.failures = failures

    async def get_many(self, request_ids: Sequence[str]) -> dict[str, StoredCapture]:
        return {}

    async def purge(self, before: datetime) -> int:
        self.cutoffs.append(before)
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("the database is unavailable while purging captures")
        return 2


class Ticks:
    """A `sleep` that moves the clock on instead of waiting, and parks after `rounds`."""

    def __init__(self, clock: ManualClock, rounds: int) -> None:
        self.clock = clock
        self.rounds = rounds
        self.delays: list[float] = []
        self.parked = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.clock.advance(seconds)
        if len(self.delays) == self.rounds:
            self.parked.set()
            await asyncio.Event().wait()  # until the purger is stopped


def at(clock: ManualClock, offset_s: float = 0.0) -> datetime:
    return datetime.fromtimestamp(clock.wall() + offset_s, UTC)


async def test_purge_once_deletes_what_is_older_than_the_retention() -> None:
    clock, store = ManualClock(), Store()
    purger = CapturePurger(store, retention_s=30 * 86_400, interval_s=3600, clock=clock)
    assert await purger.purge_once() == 2
    assert store.cutoffs == [at(clock) - timedelta(days=30)]


async def test_it_purges_at_start_and_then_every_interval() -> None:
    clock, store = ManualClock(), Store()
    ticks = Ticks(clock, rounds=3)
    start = at(clock)
    purger = CapturePurger(store, retention_s=86_400, interval_s=600, clock=clock, sleep=ticks)
    purger.start()
    async with asyncio.timeout(WAIT):
        await ticks.parked.wait()
    await purger.stop()
    assert ticks.delays == [600, 600, 600]
    day = timedelta(days=1)
    assert store.cutoffs == [start - day + timedelta(seconds=600 * n) for n in range(3)]


async def test_a_failed_purge_is_logged_and_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    clock, store = ManualClock(), Store(failures=1)
    ticks = Ticks(clock, rounds=2)
    purger = CapturePurger(store, retention_s=86_400, interval_s=60, clock=clock, sleep=ticks)
    purger.start()
    async with asyncio.timeout(WAIT):
        await ticks.parked.wait()
    await purger.stop()
    assert len(store.cutoffs) == 2
    assert "purging old captures failed (StoreUnavailable" in caplog.text


async def test_start_twice_is_refused_and_stop_is_idempotent() -> None:
    clock = ManualClock()
    purger = CapturePurger(
        Store(), retention_s=1, interval_s=1, clock=clock, sleep=Ticks(clock, rounds=1)
    )
    await purger.stop()  # never started: nothing to do
    purger.start()
    with pytest.raises(RuntimeError, match="already started"):
        purger.start()
    await purger.stop()
    await purger.stop()


def test_periods_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        CapturePurger(Store(), retention_s=0, interval_s=1, clock=ManualClock())
