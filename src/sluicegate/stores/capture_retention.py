"""Capture retention: the gateway deletes captures past their retention period, periodically.

A background task started and stopped with the application purges at start and then every
`interval_s`. Every replica runs one; deleting by age is idempotent, so they never conflict.
A failed purge (the database is down) is logged and tried again at the next interval: it
never stops the gateway, and nothing on the request path waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sluicegate.core.capture import CaptureStore
from sluicegate.core.clock import Clock

log = logging.getLogger("sluicegate.capture")

Sleep = Callable[[float], Awaitable[None]]
DAY_SECONDS = 86_400.0


class CapturePurger:
    """Deletes captures older than `retention_s`, every `interval_s`."""

    def __init__(
        self,
        store: CaptureStore,
        *,
        retention_s: float,
        interval_s: float,
        clock: Clock,
        sleep: Sleep | None = None,
    ) -> None:
        if retention_s <= 0 or interval_s <= 0:
            raise ValueError("retention_s and interval_s must be positive")
        self._store = store
        self._retention_s = retention_s
        self._interval_s = interval_s
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._task: asyncio.Task[None] | None = None

    def cutoff(self) -> datetime:
        """Captures of requests that arrived before this are past their retention."""
        return datetime.fromtimestamp(self._clock.wall() - self._retention_s, UTC)

    async def purge_once(self) -> int:
        """Delete what is past retention now; how many captures went."""
        cutoff = self.cutoff()
        purged = await self._store.purge(cutoff)
        if purged:
            log.info("purged %d captures of requests before %s", purged, cutoff.isoformat())
        return purged

    def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the capture purger is already started")
        self._task = asyncio.create_task(self._run(), name="capture retention")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        while True:
            try:
                await self.purge_once()
            except Exception as error:
                log.warning(
                    "purging old captures failed (%s: %s); trying again in %g s",
                    type(error).__name__,
                    error,
                    self._interval_s,
                )
            await self._sleep(self._interval_s)
