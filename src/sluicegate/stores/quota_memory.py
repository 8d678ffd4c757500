"""In-process quota counters: the embedded default when one gateway process serves.

`QuotaBook` is the arithmetic, synchronous and driven by an explicit `now_us`, so property tests
can step time arbitrarily. `MemoryQuotaStore` wraps it as a `core.quota.QuotaStore` with time
from an injected `Clock`. Every operation runs start to finish without awaiting, so it is atomic
on the event loop; a lock still guards the book so a store shared by several threads' loops
stays correct (uncontended it costs well under a microsecond).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence

from sluicegate.core.clock import Clock, SystemClock
from sluicegate.core.quota import (
    WINDOW_S,
    Admission,
    Denial,
    QuotaLimit,
    Reservation,
    Slot,
    WindowUsage,
    validate_cap,
    validate_tokens,
)
from sluicegate.stores.quota_decision import US, LimitKey, applicable, decision, to_window_us
from sluicegate.stores.quota_log import SlidingLog


class QuotaBook:
    """Sliding logs per subject and held concurrency slots; no I/O, no clock of its own."""

    __slots__ = ("_ids", "_last_us", "_logs", "_next_sweep_us", "_slots", "window_us")

    def __init__(self, window_us: int) -> None:
        self.window_us = window_us
        self._logs: dict[LimitKey, SlidingLog] = {}
        self._slots: dict[str, set[str]] = {}
        self._ids = itertools.count(1)
        self._last_us = 0
        self._next_sweep_us = 0

    def reserve(
        self, limits: Sequence[QuotaLimit], tokens: int, now_us: int, enforce: bool = True
    ) -> Admission | Denial:
        validate_tokens(tokens)
        now_us = self._tick(now_us)
        active = applicable(limits)
        logs = [self._log((limit.scope, limit.subject), now_us) for limit in active]
        states = [
            log.state(limit.tpm, limit.rpm, tokens, now_us, self.window_us)
            for limit, log in zip(active, logs, strict=True)
        ]
        if enforce and any(state.over for state in states):
            return decision(active, states, tokens, self.window_us, None)
        rid = str(next(self._ids))
        for log in logs:
            log.charge(now_us, rid, tokens)
        reservation = Reservation(rid, active, tokens, now_us / US)
        return decision(active, states, tokens, self.window_us, reservation)

    def reconcile(self, reservation: Reservation, actual_tokens: int, now_us: int) -> None:
        validate_tokens(actual_tokens, "actual tokens")
        now_us = self._tick(now_us)
        for log in self._logs_of(reservation, now_us):
            log.set(reservation.id, actual_tokens)

    def cancel(self, reservation: Reservation, now_us: int) -> None:
        now_us = self._tick(now_us)
        for log in self._logs_of(reservation, now_us):
            log.remove(reservation.id)

    def acquire(self, subject: str, cap: int) -> Slot | None:
        validate_cap(cap)
        held = self._slots.setdefault(subject, set())
        if len(held) >= cap:
            if not held:
                del self._slots[subject]
            return None
        sid = str(next(self._ids))
        held.add(sid)
        return Slot(subject, sid)

    def release(self, slot: Slot) -> None:
        held = self._slots.get(slot.subject)
        if held is not None:
            held.discard(slot.id)
            if not held:
                del self._slots[slot.subject]

    def held(self, subject: str) -> int:
        return len(self._slots.get(subject, ()))

    def usage(self, limit: QuotaLimit, now_us: int) -> WindowUsage:
        """What `limit`'s subject holds in the window now; for tests and admin views."""
        now_us = self._tick(now_us)
        log = self._logs.get((limit.scope, limit.subject))
        if log is None:
            return WindowUsage(0, 0)
        log.expire(now_us - self.window_us)
        return WindowUsage(log.tokens, log.requests)

    def subjects(self) -> int:
        """How many subjects hold a log; idle ones are swept, so this stays bounded."""
        return len(self._logs)

    def _tick(self, now_us: int) -> int:
        """Never let time run backwards inside the book; sweep idle logs once per window."""
        now_us = max(now_us, self._last_us)
        self._last_us = now_us
        if now_us >= self._next_sweep_us:
            self._sweep(now_us - self.window_us)
            self._next_sweep_us = now_us + self.window_us
        return now_us

    def _sweep(self, horizon_us: int) -> None:
        for key in list(self._logs):
            log = self._logs[key]
            log.expire(horizon_us)
            if not log:
                del self._logs[key]

    def _log(self, key: LimitKey, now_us: int) -> SlidingLog:
        log = self._logs.get(key)
        if log is None:
            log = self._logs[key] = SlidingLog()
        else:
            log.expire(now_us - self.window_us)
        return log

    def _logs_of(self, reservation: Reservation, now_us: int) -> list[SlidingLog]:
        if reservation.offline:
            return []
        keys = ((limit.scope, limit.subject) for limit in reservation.limits)
        found = [self._logs.get(key) for key in keys]
        logs = [log for log in found if log is not None]
        for log in logs:
            log.expire(now_us - self.window_us)
        return logs


class MemoryQuotaStore:
    """A `core.quota.QuotaStore` in this process's memory; counts only this process's traffic."""

    __slots__ = ("_book", "_clock", "_lock")

    def __init__(self, *, window_s: float = WINDOW_S, clock: Clock | None = None) -> None:
        self._book = QuotaBook(to_window_us(window_s))
        self._clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()

    @property
    def window_s(self) -> float:
        return self._book.window_us / US

    async def reserve(
        self, limits: Sequence[QuotaLimit], tokens: int, *, enforce: bool = True
    ) -> Admission | Denial:
        with self._lock:
            return self._book.reserve(limits, tokens, self._now_us(), enforce)

    async def reconcile(self, reservation: Reservation, actual_tokens: int) -> None:
        with self._lock:
            self._book.reconcile(reservation, actual_tokens, self._now_us())

    async def cancel(self, reservation: Reservation) -> None:
        with self._lock:
            self._book.cancel(reservation, self._now_us())

    async def acquire(self, subject: str, cap: int) -> Slot | None:
        with self._lock:
            return self._book.acquire(subject, cap)

    async def release(self, slot: Slot) -> None:
        with self._lock:
            self._book.release(slot)

    async def usage(self, limit: QuotaLimit) -> WindowUsage:
        with self._lock:
            return self._book.usage(limit, self._now_us())

    async def close(self) -> None:
        return None

    def _now_us(self) -> int:
        return round(self._clock.now() * US)
