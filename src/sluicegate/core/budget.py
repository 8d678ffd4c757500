"""Spending budgets: an amount in USD per calendar period, with a soft alert threshold.

A budget is hard: a request whose worst-case cost would take the spend past the amount is
refused before it is sent, not charged afterwards. Periods are calendar-aligned in UTC (a
day starts at 00:00, a week on Monday, a month on the 1st), so every replica and every report
agrees on where a period begins.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class BudgetPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


DEFAULT_ALERT_AT = 0.8
"""The share of a budget at which a soft alert is raised, unless the budget sets another."""


@dataclass(frozen=True, slots=True)
class Budget:
    """At most `amount_usd` per `period`; an alert once `alert_at` of it is spent."""

    amount_usd: float
    period: BudgetPeriod
    alert_at: float = DEFAULT_ALERT_AT

    def __post_init__(self) -> None:
        amount = self.amount_usd
        if isinstance(amount, bool) or not (amount >= 0 and math.isfinite(amount)):
            raise ValueError(f"a budget amount must be a finite number >= 0 USD, not {amount!r}")
        if not 0 < self.alert_at <= 1:
            raise ValueError(f"alert_at is a share of the budget in (0, 1], not {self.alert_at!r}")

    def describe(self) -> str:
        """As `parse_budget` reads it: `50USD/month` (never an exponent, which it refuses)."""
        amount = format(Decimal(repr(float(self.amount_usd))), "f")
        if "." in amount:
            amount = amount.rstrip("0").rstrip(".")
        return f"{amount}USD/{self.period.value}"


_BUDGET = re.compile(
    r"^\s*\$?\s*(?P<amount>\d+(?:\.\d+)?)\s*(?:usd)?\s*/\s*(?P<period>day|week|month)\s*$",
    re.IGNORECASE,
)


def parse_budget(text: str, alert_at: float = DEFAULT_ALERT_AT) -> Budget:
    """`50USD/month`, `5 usd/day`, `$200/week` → a Budget; ValueError says what is accepted."""
    match = _BUDGET.match(text)
    if match is None:
        raise ValueError(
            f"cannot read the budget {text!r}: write an amount in USD and a period, "
            "for example 50USD/month, 5USD/day or 200USD/week"
        )
    return Budget(float(match["amount"]), BudgetPeriod(match["period"].lower()), alert_at=alert_at)


def period_start(period: BudgetPeriod, at: datetime) -> datetime:
    """The UTC instant the calendar period holding `at` began."""
    if at.utcoffset() is None:
        raise ValueError("at must be timezone-aware")
    moment = at.astimezone(UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is BudgetPeriod.DAY:
        return day
    if period is BudgetPeriod.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def period_end(period: BudgetPeriod, at: datetime) -> datetime:
    """The UTC instant the calendar period holding `at` ends (the next one begins)."""
    start = period_start(period, at)
    if period is BudgetPeriod.DAY:
        return start + timedelta(days=1)
    if period is BudgetPeriod.WEEK:
        return start + timedelta(days=7)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


MICROS = 1_000_000
"""Stores count money in whole micro-dollars: exact sums, atomic integer increments."""


def to_micros(usd: float) -> int:
    return max(0, round(usd * MICROS))


class BudgetScope(StrEnum):
    KEY = "key"
    TEAM = "team"


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """One budget that applies to a request: whose it is and how much."""

    scope: BudgetScope
    subject: str
    budget: Budget

    @property
    def label(self) -> str:
        return f"{self.scope.value} '{self.subject}'"

    def counter(self, at: datetime) -> str:
        """Names the spend counter of this line's period holding `at`."""
        start = period_start(self.budget.period, at)
        return f"{self.scope.value}:{self.subject}:{self.budget.period.value}:{start:%Y%m%d}"


@dataclass(frozen=True, slots=True)
class BudgetCharge:
    """An admitted request's reserved spend; settle it to the real cost when the reply ends."""

    lines: tuple[BudgetLine, ...]
    at: datetime
    """When the request was charged; its spend counts in the periods holding this instant."""
    micros: int
    offline: bool = False
    """Admitted while the shared store was unreachable (fail-open): nothing to settle."""


@dataclass(frozen=True, slots=True)
class BudgetStanding:
    """What one budget has spent in its current period, after a charge or a settlement."""

    line: BudgetLine
    spent_micros: int

    @property
    def spent_usd(self) -> float:
        return self.spent_micros / MICROS

    @property
    def remaining_usd(self) -> float:
        return max(0.0, self.line.budget.amount_usd - self.spent_usd)


@dataclass(frozen=True, slots=True)
class BudgetRefusal:
    """A request whose worst-case cost does not fit in a budget."""

    line: BudgetLine
    spent_micros: int
    requested_micros: int
    at: datetime


class SpendSource(Protocol):
    """Where spend already recorded comes from when a counter starts (the usage ledger)."""

    async def spent_since(self, scope: BudgetScope, subject: str, since: datetime) -> float:
        """USD charged to the key or team by requests at or after `since`."""
        ...


class BudgetStore(Protocol):
    """Spend counters per budget and period, checked and charged atomically.

    Implementations: `stores.budget_memory.MemoryBudgetStore` (one process) and
    `stores.budget_redis.RedisBudgetStore` (shared by every replica). A counter a store has not
    seen yet starts from the ledger's spend for that period (`SpendSource`), so a restart or a
    new replica does not hand out a fresh budget.
    """

    async def charge(
        self, lines: tuple[BudgetLine, ...], micros: int, at: datetime, *, enforce: bool = True
    ) -> tuple[BudgetCharge, list[BudgetStanding]] | BudgetRefusal:
        """Add `micros` to every line's counter if each stays within its budget, else none.

        With `enforce=False` (shadow mode) the charge is made regardless and never refused."""
        ...

    async def settle(self, charge: BudgetCharge, actual_micros: int) -> list[BudgetStanding]:
        """Replace the reserved amount with the real cost; never raises on an outage."""
        ...

    async def spent(self, line: BudgetLine, at: datetime) -> int:
        """Micro-dollars the line's period holding `at` has spent."""
        ...

    async def close(self) -> None: ...
