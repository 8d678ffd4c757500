"""Driving the load: schedule requests, send them, keep every outcome, and hand each finished
aggregation window to whoever watches (the live view, the JSONL writer).

Open loop: request i is due at offset i of the schedule whatever the earlier ones are doing,
and its latency counts from that offset; the generator's own lateness (send lag) is recorded
per request, so a saturated generator shows instead of quietly lowering the load.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from sluicegate.bench.aggregate import primary_backend, summarize
from sluicegate.bench.client import Sender
from sluicegate.bench.load import LoadPlan
from sluicegate.bench.outcome import Outcome
from sluicegate.bench.prices import PriceTable
from sluicegate.bench.retry import RetryPolicy
from sluicegate.bench.schedule import arrival_offsets
from sluicegate.bench.sources import RequestSource
from sluicegate.bench.target import Target

MIN_SLEEP = 0.001
"""Event-loop timers have millisecond resolution: the scheduler wakes at most once a
millisecond and sends everything due, which costs up to 1 ms of send lag (reported)."""

WindowCallback = Callable[[dict[str, Any]], None]


@dataclass(slots=True)
class Progress:
    """Live state of a run, read by the progress view."""

    started: int = 0
    in_flight: int = 0
    finished: int = 0
    measuring: bool = False
    elapsed: float = 0.0
    last_window: dict[str, Any] | None = None


@dataclass(slots=True)
class RunData:
    outcomes: list[Outcome]
    """The measured requests, in order of completion."""
    warmup: list[Outcome]
    measure_start: float
    """The run-clock time the measurement began (the end of the warm-up)."""
    windows: list[dict[str, Any]] = field(default_factory=list)
    cpu_seconds: float = 0.0
    """CPU time the generator process used while measuring."""


class Runner:
    def __init__(
        self,
        plan: LoadPlan,
        target: Target,
        source: RequestSource,
        retry: RetryPolicy,
        *,
        primary: str | None = None,
        prices: PriceTable | None = None,
        on_window: WindowCallback | None = None,
    ) -> None:
        self.plan = plan
        self.target = target
        self.source = source
        self.retry = retry
        self.primary = primary
        self.prices = prices
        self.on_window = on_window
        self.progress = Progress()
        self._origin = 0.0
        self._measured: list[Outcome] = []
        self._warmup: list[Outcome] = []
        self._windows: list[dict[str, Any]] = []
        self._cursor = 0
        self._measured_started = 0

    def clock(self) -> float:
        return time.perf_counter() - self._origin

    async def run(self) -> RunData:
        plan = self.plan
        connections = plan.concurrency if plan.mode == "closed" else plan.max_connections
        connector = aiohttp.TCPConnector(limit=connections, limit_per_host=0, ttl_dns_cache=300)
        timeout = aiohttp.ClientTimeout(total=plan.timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            sender = Sender(session, self.target, self.retry, self.clock)
            self._origin = time.perf_counter()
            ticker = asyncio.create_task(self._tick())
            cpu_before = _cpu()
            try:
                if plan.mode == "closed":
                    await self._closed(sender)
                else:
                    await self._open(sender)
            finally:
                ticker.cancel()
            cpu = _cpu() - cpu_before
        self._flush()
        return RunData(
            self._measured, self._warmup, plan.warmup, list(self._windows), round(cpu, 3)
        )

    def _admit(self, offset: float) -> bool:
        """Whether a request due at `offset` belongs to the run; counts it when it does."""
        plan = self.plan
        if offset < plan.warmup:
            return True
        if plan.duration is not None and offset >= plan.warmup + plan.duration:
            return False
        if plan.requests is not None and self._measured_started >= plan.requests:
            return False
        self._measured_started += 1
        return True

    def _offsets(self) -> Iterator[float]:
        plan = self.plan
        if plan.mode == "trace":
            entries = getattr(self.source, "entries", [])
            return (entry.offset / plan.speed for entry in entries)
        assert plan.rate is not None
        return arrival_offsets(plan.arrivals, plan.rate, plan.seed)

    async def _open(self, sender: Sender) -> None:
        tasks: set[asyncio.Task[None]] = set()
        for index, due in enumerate(self._offsets()):
            if not self._admit(due):
                break
            wait = due - self.clock()
            if wait > 0:
                await asyncio.sleep(max(wait, MIN_SLEEP))
            task = asyncio.create_task(self._one(sender, index, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)

    async def _closed(self, sender: Sender) -> None:
        counter = iter(range(2**62))

        async def client() -> None:
            while self._admit(now := self.clock()):
                await self._one(sender, next(counter), now)

        await asyncio.gather(*(client() for _ in range(self.plan.concurrency)))

    async def _one(self, sender: Sender, index: int, due: float) -> None:
        measured = due >= self.plan.warmup
        if measured:
            self.progress.measuring = True
        request = self.source.request(index)
        progress = self.progress
        progress.started += 1
        progress.in_flight += 1
        try:
            outcome = await sender.send(
                request.body, due, prompt_estimate=request.prompt_estimate, model=request.model
            )
        finally:
            progress.in_flight -= 1
        progress.finished += 1
        (self._measured if measured else self._warmup).append(outcome)

    async def _tick(self) -> None:
        plan = self.plan
        index = 0
        while True:
            end = plan.warmup + (index + 1) * plan.window
            self.progress.elapsed = self.clock()
            wait = end - self.clock()
            if wait > 0:
                await asyncio.sleep(min(wait, 0.25))
                continue
            self._emit(index, end - plan.window, end)
            index += 1

    def _emit(self, index: int, begin: float, end: float) -> None:
        measured = self._measured
        start = self._cursor
        while self._cursor < len(measured) and measured[self._cursor].end < end:
            self._cursor += 1
        chunk = measured[start : self._cursor]
        figures = summarize(chunk, seconds=end - begin, primary=self._primary(), prices=self.prices)
        window = {"window": index, "start": begin, "end": end, **figures}
        self._windows.append(window)
        self.progress.last_window = window
        if self.on_window is not None:
            self.on_window(window)

    def _flush(self) -> None:
        """After the run: every window not yet emitted, the last one as long as it lasted."""
        measured = self._measured
        window = self.plan.window
        while self._cursor < len(measured):
            index = len(self._windows)
            begin = self.plan.warmup + index * window
            last = measured[-1].end
            end = begin + window if last >= begin + window else last + 1e-9
            self._emit(index, begin, end)

    def _primary(self) -> str | None:
        if self.primary is None:
            self.primary = primary_backend(self._warmup) or primary_backend(self._measured)
        return self.primary


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
