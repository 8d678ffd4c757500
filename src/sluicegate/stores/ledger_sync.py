"""Flushing the usage spool to the disk: on a timer, or before every hook returns.

The spool's appends reach the kernel at once (a killed process loses nothing); this decides
when they reach the disk (what a power loss may cost). `fsync` runs in a worker thread on
duplicated descriptors, so the event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from sluicegate.stores.ledger_spool import LedgerSpool

log = logging.getLogger("sluicegate.ledger")


class SpoolSyncer:
    """Flushes the spool to the disk: on a timer (`interval`) or before each hook returns
    (`always`, one fsync shared by all hooks waiting at that moment)."""

    def __init__(self, spool: LedgerSpool, *, fsync_every_append: bool, interval_s: float) -> None:
        self._spool = spool
        self._always = fsync_every_append
        self._interval = interval_s
        self._synced = 0
        self._running: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    async def appended(self) -> None:
        """Called after each append: arm the timer, or wait for a flush covering it."""
        if not self._always:
            if self._timer is None:
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(self._interval, self._on_timer)
            return
        target = self._spool.appended
        while self._synced < target:
            if self._running is None:
                self._running = asyncio.create_task(self._sync())
            await asyncio.shield(self._running)

    async def close(self) -> None:
        """Stop the timer and flush what is left."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._running is not None:
            with contextlib.suppress(OSError):
                await self._running
        with contextlib.suppress(OSError):
            await self._sync()

    def _on_timer(self) -> None:
        self._timer = None
        if self._running is None:
            self._running = asyncio.create_task(self._sync(), name="usage spool fsync")
            self._running.add_done_callback(_log_failure)

    async def _sync(self) -> None:
        upto = self._spool.appended
        fds = self._spool.take_dirty()
        try:
            await asyncio.to_thread(_fsync_all, fds)
            self._synced = upto
        finally:
            self._running = None


def _fsync_all(fds: list[int]) -> None:
    try:
        for fd in fds:
            os.fsync(fd)
    finally:
        for fd in fds:
            os.close(fd)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("fsync of the usage spool failed (%s: %s)", type(error).__name__, error)
