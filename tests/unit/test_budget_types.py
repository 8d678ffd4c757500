"""Budget values: what `parse_budget` reads, where calendar periods begin and end, counters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluicegate.core.budget import (
    Budget,
    BudgetLine,
    BudgetPeriod,
    BudgetScope,
    BudgetStanding,
    parse_budget,
    period_end,
    period_start,
    to_micros,
)

# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "period"),
    [
        ("50USD/month", 50.0, BudgetPeriod.MONTH),
        ("5 usd/day", 5.0, BudgetPeriod.DAY),
        ("$200/week", 200.0, BudgetPeriod.WEEK),
        ("12.5USD/month", 12.5, BudgetPeriod.MONTH),
        ("  7 USD / Day  ", 7.0, BudgetPeriod.DAY),
        ("$ 0.25 usd/MONTH", 0.25, BudgetPeriod.MONTH),
        ("0USD/day", 0.0, BudgetPeriod.DAY),
    ],
)
def test_accepted_forms(text: str, amount: float, period: BudgetPeriod) -> None:
    budget = parse_budget(text)
    assert budget == Budget(amount, period)
    assert budget.alert_at == 0.8


def test_alert_share_is_passed_through() -> None:
    assert parse_budget("50USD/month", alert_at=0.5).alert_at == 0.5


@pytest.mark.parametrize(
    "text",
    [
        "",
        "50",
        "USD/month",
        "50USD",
        "50EUR/month",
        "50USD/year",
        "50USD/months",
        "-5USD/day",
        "5,5USD/day",
        ".5USD/day",
        "5.USD/day",
        "50USD per month",
        "USD50/month",
        "50 USD/month extra",
        "1e3USD/month",
    ],
)
def test_refused_forms_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"cannot read the budget {text!r}")) as caught:
        parse_budget(text)
    message = str(caught.value)
    assert "50USD/month, 5USD/day or 200USD/week" in message


def test_an_amount_too_large_to_count_is_refused() -> None:
    with pytest.raises(ValueError, match="budget amount"):
        parse_budget("9" * 400 + "USD/month")


@pytest.mark.parametrize("amount", [-1.0, float("nan"), float("inf"), True])
def test_bad_amounts_are_refused(amount: float) -> None:
    with pytest.raises(ValueError, match="a budget amount must be"):
        Budget(amount, BudgetPeriod.DAY)


@pytest.mark.parametrize("alert_at", [0.0, -0.1, 1.01, float("nan")])
def test_bad_alert_shares_are_refused(alert_at: float) -> None:
    with pytest.raises(ValueError, match=r"alert_at is a share of the budget in \(0, 1\]"):
        Budget(10.0, BudgetPeriod.DAY, alert_at=alert_at)


@pytest.mark.parametrize(
    ("budget", "text"),
    [
        (Budget(50.0, BudgetPeriod.MONTH), "50USD/month"),
        (Budget(12.5, BudgetPeriod.WEEK), "12.5USD/week"),
        (Budget(0.0, BudgetPeriod.DAY), "0USD/day"),
        (Budget(100.0, BudgetPeriod.DAY), "100USD/day"),
        # No exponent, which parse_budget refuses, and no digits lost on large amounts.
        (Budget(0.000001, BudgetPeriod.DAY), "0.000001USD/day"),
        (Budget(1_234_567.0, BudgetPeriod.MONTH), "1234567USD/month"),
        (Budget(1.5e6, BudgetPeriod.MONTH), "1500000USD/month"),
    ],
)
def test_describe_shape(budget: Budget, text: str) -> None:
    assert budget.describe() == text


@settings(max_examples=300, deadline=None)
@given(
    amount=st.floats(min_value=0, max_value=1e15, allow_nan=False, allow_infinity=False),
    period=st.sampled_from(list(BudgetPeriod)),
)
def test_describe_reads_back_as_the_same_budget(amount: float, period: BudgetPeriod) -> None:
    budget = Budget(amount, period)
    assert parse_budget(budget.describe()) == budget


# --- micros and standings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usd", "micros"),
    [(0.0, 0), (1.0, 1_000_000), (0.0000015, 2), (0.0000014, 1), (12.345678, 12_345_678)],
)
def test_to_micros_rounds_to_whole_micro_dollars(usd: float, micros: int) -> None:
    assert to_micros(usd) == micros


def test_to_micros_never_goes_negative() -> None:
    assert to_micros(-3.0) == 0


def test_standing_remaining_never_below_zero() -> None:
    line = BudgetLine(BudgetScope.KEY, "k", Budget(2.0, BudgetPeriod.DAY))
    assert BudgetStanding(line, 500_000).spent_usd == 0.5
    assert BudgetStanding(line, 500_000).remaining_usd == 1.5
    assert BudgetStanding(line, 3_000_000).remaining_usd == 0.0
    assert line.label == "key 'k'"


# --- period boundaries -----------------------------------------------------------------------


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "at", "start", "end"),
    [
        (BudgetPeriod.DAY, utc(2025, 3, 5, 13, 7, 9), utc(2025, 3, 5), utc(2025, 3, 6)),
        (BudgetPeriod.DAY, utc(2025, 3, 5), utc(2025, 3, 5), utc(2025, 3, 6)),
        (BudgetPeriod.DAY, utc(2024, 12, 31, 23, 59, 59), utc(2024, 12, 31), utc(2025, 1, 1)),
        # 2025-03-05 is a Wednesday; its week began on Monday the 3rd.
        (BudgetPeriod.WEEK, utc(2025, 3, 5, 8), utc(2025, 3, 3), utc(2025, 3, 10)),
        (BudgetPeriod.WEEK, utc(2025, 3, 3), utc(2025, 3, 3), utc(2025, 3, 10)),
        (BudgetPeriod.WEEK, utc(2025, 3, 9, 23, 59), utc(2025, 3, 3), utc(2025, 3, 10)),
        # A week that spans a year change.
        (BudgetPeriod.WEEK, utc(2025, 1, 1), utc(2024, 12, 30), utc(2025, 1, 6)),
        (BudgetPeriod.MONTH, utc(2025, 3, 31, 23, 59), utc(2025, 3, 1), utc(2025, 4, 1)),
        (BudgetPeriod.MONTH, utc(2024, 2, 29, 12), utc(2024, 2, 1), utc(2024, 3, 1)),
        (BudgetPeriod.MONTH, utc(2024, 12, 15), utc(2024, 12, 1), utc(2025, 1, 1)),
        (BudgetPeriod.MONTH, utc(2024, 12, 31, 23, 59, 59), utc(2024, 12, 1), utc(2025, 1, 1)),
        (BudgetPeriod.MONTH, utc(2025, 1, 1), utc(2025, 1, 1), utc(2025, 2, 1)),
    ],
)
def test_known_boundaries(
    period: BudgetPeriod, at: datetime, start: datetime, end: datetime
) -> None:
    assert period_start(period, at) == start
    assert period_end(period, at) == end
    assert period_start(period, at).tzinfo == UTC


def test_periods_are_calendar_aligned_in_utc_not_local_time() -> None:
    # 01:30 on the 1st in UTC+02:00 is still the last day of the previous month in UTC.
    at = datetime(2025, 4, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert period_start(BudgetPeriod.MONTH, at) == utc(2025, 3, 1)
    assert period_start(BudgetPeriod.DAY, at) == utc(2025, 3, 31)
    assert period_end(BudgetPeriod.DAY, at) == utc(2025, 4, 1)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        period_start(BudgetPeriod.DAY, datetime(2025, 3, 5, 12))
    with pytest.raises(ValueError, match="timezone-aware"):
        period_end(BudgetPeriod.MONTH, datetime(2025, 3, 5, 12))


offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
instants = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 1), timezones=offsets
)
periods = st.sampled_from(list(BudgetPeriod))


@settings(max_examples=500, deadline=None)
@given(period=periods, at=instants)
def test_every_instant_lies_in_its_period(period: BudgetPeriod, at: datetime) -> None:
    start, end = period_start(period, at), period_end(period, at)
    assert start <= at < end
    assert start.tzinfo == UTC
    assert end.tzinfo == UTC


@settings(max_examples=500, deadline=None)
@given(period=periods, at=instants)
def test_starts_are_aligned(period: BudgetPeriod, at: datetime) -> None:
    start = period_start(period, at)
    assert (start.hour, start.minute, start.second, start.microsecond) == (0, 0, 0, 0)
    if period is BudgetPeriod.WEEK:
        assert start.weekday() == 0
    if period is BudgetPeriod.MONTH:
        assert start.day == 1
    length = period_end(period, at) - start
    if period is BudgetPeriod.DAY:
        assert length == timedelta(days=1)
    elif period is BudgetPeriod.WEEK:
        assert length == timedelta(days=7)
    else:
        assert timedelta(days=28) <= length <= timedelta(days=31)


@settings(max_examples=500, deadline=None)
@given(period=periods, at=instants)
def test_one_period_ends_where_the_next_begins(period: BudgetPeriod, at: datetime) -> None:
    end = period_end(period, at)
    assert period_start(period, end) == end
    assert period_start(period, end - timedelta(microseconds=1)) == period_start(period, at)
    assert period_end(period, end) > end


@settings(max_examples=300, deadline=None)
@given(period=periods, at=instants, shift=st.timedeltas(timedelta(0), timedelta(days=40)))
def test_the_start_is_the_same_for_every_instant_of_a_period(
    period: BudgetPeriod, at: datetime, shift: timedelta
) -> None:
    start, end = period_start(period, at), period_end(period, at)
    later = start + shift
    if later < end:
        assert period_start(period, later) == start
    else:
        assert period_start(period, later) >= end


# --- counters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "last_instant", "first_of_next"),
    [
        (BudgetPeriod.DAY, utc(2025, 3, 5, 23, 59, 59, 999999), utc(2025, 3, 6)),
        (BudgetPeriod.WEEK, utc(2025, 3, 9, 23, 59, 59, 999999), utc(2025, 3, 10)),
        (BudgetPeriod.MONTH, utc(2024, 12, 31, 23, 59, 59, 999999), utc(2025, 1, 1)),
    ],
)
def test_counter_names_change_exactly_at_a_period_boundary(
    period: BudgetPeriod, last_instant: datetime, first_of_next: datetime
) -> None:
    line = BudgetLine(BudgetScope.TEAM, "search", Budget(10.0, period))
    start = period_start(period, last_instant)
    assert line.counter(start) == line.counter(last_instant)
    assert line.counter(last_instant) != line.counter(first_of_next)
    assert line.counter(first_of_next) == f"team:search:{period.value}:{first_of_next:%Y%m%d}"


def test_counters_differ_by_scope_subject_and_period() -> None:
    at = utc(2025, 3, 5, 12)
    names = {
        BudgetLine(scope, subject, Budget(1.0, period)).counter(at)
        for scope in BudgetScope
        for subject in ("a", "b")
        for period in BudgetPeriod
    }
    assert len(names) == len(BudgetScope) * 2 * len(BudgetPeriod)


def test_the_counter_ignores_the_amount_so_a_changed_budget_keeps_its_spend() -> None:
    at = utc(2025, 3, 5, 12)
    small = BudgetLine(BudgetScope.KEY, "k", Budget(1.0, BudgetPeriod.MONTH))
    large = BudgetLine(BudgetScope.KEY, "k", Budget(100.0, BudgetPeriod.MONTH, alert_at=0.5))
    assert small.counter(at) == large.counter(at) == "key:k:month:20250301"


@settings(max_examples=300, deadline=None)
@given(period=periods, at=instants)
def test_counter_names_follow_the_period(period: BudgetPeriod, at: datetime) -> None:
    line = BudgetLine(BudgetScope.KEY, "k", Budget(1.0, period))
    end = period_end(period, at)
    assert line.counter(at) == line.counter(period_start(period, at))
    assert line.counter(at) == line.counter(end - timedelta(microseconds=1))
    assert line.counter(at) != line.counter(end)
