"""The buffered, crash-safe usage ledger writer: spool first, write to the database later.

`record()` (called by the usage policy's finish hook) appends the record to the local spool
(`ledger_spool`) and returns; a background task reads the spool and writes it to the
`LedgerStore` in batches of `batch_size`, or sooner when the oldest record has waited
`flush_interval_s`.

Durability, honestly:
- A record is handed to the kernel with one `write()` before `record()` returns, so a killed
  process (SIGKILL, OOM, a crash) loses nothing: the kernel still has the bytes.
- `fsync: interval` (the default) flushes to the disk at most `fsync_interval_s` after an
  append, so a power loss or kernel crash may lose the records of that window (plus the
  duration of one fsync).
- `fsync: always` makes `record()` wait for its fsync: zero loss even on power loss, at the
  cost of one disk flush per hook (concurrent hooks share one flush: group commit).

Database outages: a failed batch stays in the spool and is retried with capped exponential
back-off (`retry_initial_s` doubling up to `retry_max_s`), forever; an outage only makes the
spool grow. `max_spool_bytes` (on the backlog not yet written; the disk holds at most one
segment more) is an alarm, not a drop point: past it the writer logs an error
and counts it (`LedgerLag.cap_reached`), and keeps spooling, because the reply was already
served and losing its record is worse than using disk. Only when the disk itself refuses a
write is a record dropped (logged, counted in `LedgerLag.dropped`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from sluicegate.core.clock import Clock, SystemClock
from sluicegate.core.ledger import LedgerStore, UsageRecord
from sluicegate.core.usage_sink import LedgerLag
from sluicegate.stores.ledger_spool import LedgerSpool, SpoolEntry
from sluicegate.stores.ledger_sync import SpoolSyncer

log = logging.getLogger("sluicegate.ledger")

FsyncMode = Literal["interval", "always"]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LedgerWriterOptions:
    batch_size: int = 500
    flush_interval_s: float = 1.0
    """The longest a record waits for its batch to fill."""
    fsync: FsyncMode = "interval"
    fsync_interval_s: float = 0.05
    segment_bytes: int = 16 * 1024 * 1024
    max_spool_bytes: int = 1024 * 1024 * 1024
    retry_initial_s: float = 0.1
    retry_max_s: float = 5.0
    max_unwritten_index: int = 10_000
    """How many records spooled but not yet written `unwritten()` keeps in memory (the most
    recent ones). Normally it holds one batch or less; it fills only while the database is
    down."""

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if self.max_unwritten_index < 0:
            raise ValueError("max_unwritten_index must not be negative")
        if self.fsync not in ("interval", "always"):
            raise ValueError(f"fsync must be 'interval' or 'always', not {self.fsync!r}")
        positive = {
            "flush_interval_s": self.flush_interval_s,
            "fsync_interval_s": self.fsync_interval_s,
            "max_spool_bytes": self.max_spool_bytes,
            "retry_initial_s": self.retry_initial_s,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")
        if self.retry_max_s < self.retry_initial_s:
            raise ValueError("retry_max_s must not be smaller than retry_initial_s")


class LedgerWriter:
    """A `UsageSink`: spools each record at once, writes them to the ledger in batches."""

    def __init__(
        self,
        store: LedgerStore,
        spool_dir: Path,
        options: LedgerWriterOptions | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self._store = store
        self._options = options = options or LedgerWriterOptions()
        self._spool = LedgerSpool(spool_dir, segment_bytes=options.segment_bytes)
        self._clock = clock or SystemClock()
        self._sleep = sleep or asyncio.sleep
        self._staged: list[SpoolEntry] = []
        self._unread_since: float | None = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._urgent = 0
        self._drainer: asyncio.Task[None] | None = None
        self._syncer = SpoolSyncer(
            self._spool,
            fsync_every_append=options.fsync == "always",
            interval_s=options.fsync_interval_s,
        )
        self._over_cap = False
        self._written = self._failures = self._cap_reached = self._dropped = 0
        self._unwritten: dict[str, UsageRecord] = {}

    def __repr__(self) -> str:
        return f"LedgerWriter(spool={str(self._spool.directory)!r})"

    async def start(self) -> None:
        """Open the spool (replaying what an earlier process left) and start draining it."""
        if self._drainer is not None:
            raise RuntimeError("the ledger writer is already started")
        await asyncio.to_thread(self._spool.open)
        self._stage()  # the oldest replayed record, if any, is now staged: `lag` sees its age
        self._drainer = asyncio.create_task(self._drain(), name="usage ledger writer")
        self._drainer.add_done_callback(_log_failure)

    async def record(self, record: UsageRecord) -> None:
        """Spool the record (see the module's durability notes); never raises."""
        now = self._clock.wall()
        try:
            if self._drainer is None:
                raise OSError("the ledger writer is not running")
            self._spool.append(record, now)
        except OSError as error:
            self._dropped += 1
            log.error(
                "usage record %s LOST: the spool refused it (%s)",
                record.request_id,
                error.strerror or error,
            )
            return
        self._remember(record)
        if self._unread_since is None:
            self._unread_since = now
        self._idle.clear()
        if not self._staged or self._spool.pending >= self._options.batch_size:
            self._wake.set()
        self._check_cap()
        try:
            await self._syncer.appended()
        except OSError as error:
            log.error("fsync of the usage spool failed (%s)", error.strerror or error)

    def unwritten(self, request_id: str) -> UsageRecord | None:
        """A record this process spooled that is not yet confirmed written to the ledger (so
        that a request is known from the moment its reply is complete, not only once its
        batch lands). Only the most recent `max_unwritten_index` are kept."""
        return self._unwritten.get(request_id)

    def _remember(self, record: UsageRecord) -> None:
        limit = self._options.max_unwritten_index
        if not limit:
            return
        unwritten = self._unwritten
        # Lookups need who made the request and what served it, not its captured text.
        unwritten[record.request_id] = (
            replace(record, capture=None) if record.capture is not None else record
        )
        if len(unwritten) > limit:
            del unwritten[next(iter(unwritten))]  # the oldest: dicts keep insertion order

    def lag(self) -> LedgerLag:
        pending = self._spool.pending
        oldest = self._staged[0].spooled_at if self._staged else self._unread_since
        age = 0.0 if not pending or oldest is None else max(0.0, self._clock.wall() - oldest)
        return LedgerLag(
            pending=pending,
            oldest_pending_age_s=age,
            spool_bytes=self._spool.size,
            over_cap=self._over_cap,
            written=self._written,
            write_failures=self._failures,
            cap_reached=self._cap_reached,
            dropped=self._dropped,
            corrupt=self._spool.corrupt,
        )

    async def flush(self, timeout_s: float | None = None) -> bool:
        """Write everything pending now, without waiting for batches to fill; True when
        nothing is pending any more, False when `timeout_s` ran out first."""
        if self._drainer is None:
            raise RuntimeError("the ledger writer is not started")
        self._urgent += 1
        self._wake.set()
        try:
            async with asyncio.timeout(timeout_s):
                while self._spool.pending:
                    self._idle.clear()
                    await self._idle.wait()
        except TimeoutError:
            return False
        finally:
            self._urgent -= 1
        return True

    async def stop(self, deadline_s: float = 5.0) -> bool:
        """Flush for at most `deadline_s`, then stop; what is left stays in the spool for the
        next start. True when everything was written."""
        drainer = self._drainer
        if drainer is None:
            return True
        done = await self.flush(deadline_s)
        drainer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await drainer
        self._drainer = None
        await self._syncer.close()
        self._spool.close()
        if not done:
            log.warning(
                "stopped with %d usage records not yet in the ledger; they stay in %s and "
                "are written at the next start",
                self._spool.pending,
                self._spool.directory,
            )
        return done

    async def _drain(self) -> None:
        delay = self._options.retry_initial_s
        while True:
            due = self._stage()
            if not self._staged:
                if not self._spool.pending:
                    self._idle.set()
                self._wake.clear()
                await self._wake.wait()
            elif due > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(due):
                        await self._wake.wait()
            elif await self._write():
                delay = self._options.retry_initial_s
            else:
                await self._sleep(delay)
                delay = min(delay * 2, self._options.retry_max_s)

    def _stage(self) -> float:
        """Top up the batch from the spool; seconds until it is due (0: write it now)."""
        options = self._options
        room = options.batch_size - len(self._staged)
        if room > 0:
            try:
                entries = self._spool.read(room)
            except OSError as error:
                log.error("cannot read the usage spool (%s)", error.strerror or error)
                entries = []
            self._staged.extend(entries)
            if len(entries) < room:
                self._unread_since = None
        if not self._staged:
            return 0.0
        if len(self._staged) >= options.batch_size or self._urgent:
            return 0.0
        waited = self._clock.wall() - self._staged[0].spooled_at
        return min(options.flush_interval_s, max(0.0, options.flush_interval_s - waited))

    async def _write(self) -> bool:
        batch = self._staged
        try:
            await self._store.write_batch([entry.record for entry in batch])
        except Exception as error:
            self._failures += 1
            log.warning(
                "writing %d usage records to the ledger failed (%s: %s); they stay in the "
                "spool and are retried (%d pending)",
                len(batch),
                type(error).__name__,
                error,
                self._spool.pending,
            )
            return False
        self._staged = []
        self._written += len(batch)
        for entry in batch:
            self._unwritten.pop(entry.record.request_id, None)
        self._spool.confirm()
        self._check_cap()
        if not self._spool.pending:
            self._idle.set()
        return True

    def _check_cap(self) -> None:
        over = self._spool.backlog_bytes >= self._options.max_spool_bytes
        if over and not self._over_cap:
            self._cap_reached += 1
            log.error(
                "the usage spool in %s holds %d bytes not yet in the ledger, past its cap of %d "
                "(ledger.max_spool_bytes): the ledger database is not keeping up or is down; "
                "records keep being spooled until the disk is full",
                self._spool.directory,
                self._spool.backlog_bytes,
                self._options.max_spool_bytes,
            )
        elif self._over_cap and not over:
            log.info("the usage spool is back under its cap")
        self._over_cap = over


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("%s failed (%s: %s)", task.get_name(), type(error).__name__, error)
