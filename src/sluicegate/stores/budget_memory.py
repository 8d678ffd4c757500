"""Budget spend counters in process: one gateway, or tests.

A counter this process has not seen yet starts from the ledger's spend for its period, so a
restarted gateway does not hand out a fresh budget. Between that read and the check-and-charge
nothing awaits, so on one event loop every charge is atomic without a lock.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sluicegate.core.budget import (
    BudgetCharge,
    BudgetLine,
    BudgetRefusal,
    BudgetStanding,
    SpendSource,
    period_start,
    to_micros,
)


class MemoryBudgetStore:
    """A `core.budget.BudgetStore` in a dictionary."""

    __slots__ = ("_counters", "_loading", "_source")

    def __init__(self, source: SpendSource | None = None) -> None:
        """`source` seeds new counters (the ledger); without one they start at zero."""
        self._source = source
        self._counters: dict[str, int] = {}
        self._loading: dict[str, asyncio.Future[int]] = {}

    def __repr__(self) -> str:
        return f"MemoryBudgetStore(counters={len(self._counters)})"

    async def charge(
        self, lines: tuple[BudgetLine, ...], micros: int, at: datetime, *, enforce: bool = True
    ) -> tuple[BudgetCharge, list[BudgetStanding]] | BudgetRefusal:
        if micros < 0:
            raise ValueError(f"a charge must not be negative, not {micros}")
        names = [line.counter(at) for line in lines]
        while not all(name in self._counters for name in names):
            # Loading a line awaits; meanwhile a request in a new period may have dropped the
            # counter of a line loaded before it: load again until all are there at once.
            for line in lines:
                await self._load(line, at)
        if enforce:
            for line, name in zip(lines, names, strict=True):
                spent = self._counters[name]
                if spent + micros > to_micros(line.budget.amount_usd):
                    return BudgetRefusal(line, spent, micros, at)
        for name in names:
            self._counters[name] += micros
        standings = [
            BudgetStanding(line, self._counters[name])
            for line, name in zip(lines, names, strict=True)
        ]
        return BudgetCharge(lines, at, micros), standings

    async def settle(self, charge: BudgetCharge, actual_micros: int) -> list[BudgetStanding]:
        delta = max(0, actual_micros) - charge.micros
        standings = []
        for line in charge.lines:
            name = line.counter(charge.at)
            if name in self._counters:
                self._counters[name] = max(0, self._counters[name] + delta)
                standings.append(BudgetStanding(line, self._counters[name]))
        return standings

    async def spent(self, line: BudgetLine, at: datetime) -> int:
        await self._load(line, at)
        return self._counters[line.counter(at)]

    async def close(self) -> None:
        self._counters.clear()

    async def _load(self, line: BudgetLine, at: datetime) -> None:
        """Start the counter from the ledger once; concurrent first uses share one read."""
        name = line.counter(at)
        while name not in self._counters:
            pending = self._loading.get(name)
            if pending is None:
                await self._read(line, at, name)
                return
            await asyncio.wait((pending,))  # raises only if this request is cancelled
            if not pending.cancelled():
                pending.result()  # the reader's failure is this request's too
            # else the reading request was cancelled (its client left): read again

    async def _read(self, line: BudgetLine, at: datetime, name: str) -> None:
        pending = asyncio.get_running_loop().create_future()
        self._loading[name] = pending
        try:
            seed = 0
            if self._source is not None:
                since = period_start(line.budget.period, at)
                seed = to_micros(await self._source.spent_since(line.scope, line.subject, since))
            self._forget_older(name)
            self._counters.setdefault(name, seed)
            pending.set_result(seed)
        except asyncio.CancelledError:
            pending.cancel()
            raise
        except BaseException as error:
            pending.set_exception(error)
            pending.exception()  # retrieved: later callers retry the read
            raise
        finally:
            del self._loading[name]

    def _forget_older(self, current: str) -> None:
        """Drop the line's counters of earlier periods: a new period has begun.

        Counter names are `scope:subject:period:YYYYMMDD`; a subject may hold colons, so a name
        is the same line's only if nothing but the date follows the common prefix."""
        prefix = current.rsplit(":", 1)[0] + ":"
        older = [
            name
            for name in self._counters
            if name.startswith(prefix) and ":" not in name[len(prefix) :] and name < current
        ]
        for name in older:
            del self._counters[name]
