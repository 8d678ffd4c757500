"""The planner's arithmetic against cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from sluicegate.planner.capacity import ModelCapacity
from sluicegate.planner.demand import Demand
from sluicegate.planner.plan import (
    PlanOptions,
    break_even_utilization,
    make_plan,
    minute_weighted_tokens,
    nearest_rank,
)
from sluicegate.planner.profile import TrafficProfile, minute_rates, profile_demand
from sluicegate.planner.replay import replay


def capacity(**overrides: float) -> ModelCapacity:
    values: dict[str, float] = {
        "input_tpm_per_ptu": 1000,
        "output_token_weight": 4,
        "minimum_ptus": 2,
        "increment_ptus": 5,
        "ptu_hour_usd": 1.0,
        "payg_input_usd_per_million": 1.0,
        "payg_output_usd_per_million": 2.0,
    }
    values.update(overrides)
    return ModelCapacity.model_validate(values)


def flat_profile(rpm: float = 10, prompt: int = 1000, completion: int = 100) -> TrafficProfile:
    return TrafficProfile.model_validate(
        {
            "model": "m",
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "hours": [{"hour": "0-23", "rpm": rpm}],
        }
    )


@pytest.mark.parametrize(
    ("minimum", "increment", "exact", "expected"),
    [
        (15, 5, 0.0, 0),
        (15, 5, 0.1, 15),
        (15, 5, 15.0, 15),
        (15, 5, 15.01, 20),
        (15, 5, 20.0, 20),
        (15, 5, 80.64, 85),
        (50, 50, 51.0, 100),
        (50, 50, 100.0, 100),
        (1, 1, 2.2, 3),
    ],
)
def test_rounding_to_the_minimum_and_increment(
    minimum: int, increment: int, exact: float, expected: int
) -> None:
    entry = capacity(minimum_ptus=minimum, increment_ptus=increment)
    assert entry.round_ptus(exact) == expected


def test_nearest_rank_percentile() -> None:
    values = list(range(1, 101))
    assert nearest_rank(values, 95) == 95
    assert nearest_rank(values, 100) == 100
    assert nearest_rank([5, 1, 3], 50) == 3  # rank ceil(1.5) = 2 of [1, 3, 5]
    assert nearest_rank([5, 1, 3], 1) == 1
    assert nearest_rank([], 95) == 0


def test_weighted_tokens_count_output_at_its_weight() -> None:
    entry = capacity(output_token_weight=4)
    assert entry.weighted(1000, 100) == 1400
    assert capacity(output_token_weight=1.5).weighted(1, 1) == 3  # 2.5 rounds up


def test_ptus_for_a_percentile_of_a_flat_day() -> None:
    # 10 requests a minute of 1000 + 4 × 100 = 1400 weighted tokens: 14,000 every minute,
    # so every percentile is 14 PTUs of 1000; minimum 2 + ceil(12 / 5) × 5 = 17 deployable.
    plan = make_plan(profile_demand(flat_profile(), "t"), capacity(), PlanOptions(percentile=95))
    assert plan.weighted_percentile_tpm == 14_000
    assert plan.exact_ptus == pytest.approx(14.0)
    assert plan.ptus_for_percentile == 17
    assert plan.ptus_for_peak == 17


def test_percentile_follows_the_peak_minutes() -> None:
    # 24 hours of 5 peak minutes at 30 rpm and 55 at (600 - 150) / 55 rpm: 120 peak minutes of
    # 1440 (8.3 %). p90 is a base minute, p95 a peak minute.
    profile = TrafficProfile.model_validate(
        {
            "model": "m",
            "prompt_tokens": 100,
            "completion_tokens": 0,
            "hours": [{"hour": "0-23", "rpm": 10, "peak_rpm": 30}],
        }
    )
    rates = minute_rates(profile)
    assert rates.count(30) == 120
    assert sum(rates) == pytest.approx(10 * 1440)
    demand = profile_demand(profile, "t")
    assert demand.requests == 14_400
    minutes = minute_weighted_tokens(demand, capacity())
    assert max(minutes) == 3000
    plan = make_plan(
        demand,
        capacity(input_tpm_per_ptu=100, minimum_ptus=1, increment_ptus=1),
        PlanOptions(percentile=95),
    )
    assert plan.weighted_percentile_tpm == 3000
    assert plan.ptus_for_percentile == 30
    low = make_plan(
        demand,
        capacity(input_tpm_per_ptu=100, minimum_ptus=1, increment_ptus=1),
        PlanOptions(percentile=90),
    )
    assert low.weighted_percentile_tpm < 1000
    assert low.ptus_for_percentile == math.ceil(low.weighted_percentile_tpm / 100)


def test_monthly_costs_of_a_flat_day() -> None:
    # A day: 14,400 requests, 14.4 M prompt and 1.44 M completion tokens = $14.40 + $2.88.
    # A 730-hour month is 730 × 60 / 1440 = 30.4167 days.
    plan = make_plan(profile_demand(flat_profile(), "t"), capacity(), PlanOptions())
    assert plan.month_factor == pytest.approx(730 / 24)
    assert plan.payg_month_usd == pytest.approx(17.28 * 730 / 24)
    assert plan.all_ptu_month_usd == pytest.approx(17 * 1.0 * 730)
    at_peak = next(row for row in plan.rows if row.ptus == 17)
    assert at_peak.payg_usd == 0
    assert at_peak.spill_share == 0
    assert at_peak.utilization == pytest.approx(14 / 17)
    none = next(row for row in plan.rows if row.ptus == 0)
    assert none.total_usd == pytest.approx(plan.payg_month_usd)
    assert none.spill_share == 1


def test_break_even_utilization() -> None:
    # Weighted tokens 14.4 M + 4 × 1.44 M = 20.16 M cost $17.28 on PAYG: $0.857 per M. A full
    # PTU-hour carries 1000 × 60 = 60,000 weighted tokens = $0.05143; at $0.03 per PTU-hour the
    # PTU pays from 0.03 / 0.05143 = 58.3 % utilization.
    entry = capacity(ptu_hour_usd=0.03)
    even = break_even_utilization(entry, 14_400_000, 1_440_000)
    assert even == pytest.approx(0.03 / (60_000 * 17.28 / 20_160_000))
    assert even == pytest.approx(0.5833, abs=1e-4)
    assert break_even_utilization(entry, 0, 0) is None
    assert (
        break_even_utilization(
            capacity(payg_input_usd_per_million=0, payg_output_usd_per_million=0), 10, 10
        )
        == math.inf
    )


def hand_demand() -> Demand:
    # 1 PTU of 1000 tokens per minute, weight 1. Minute 0: 600 at 0 s, 300 at 10 s (900), 200 at
    # 20 s spills (1100). Minute 1: at 65 s the 0 s charge has left (300 + 500 = 800, admitted);
    # at 70 s the 10 s charge leaves (500 + 600 = 1100): spills.
    return Demand(
        "m", "t", 2, [0.0, 10.0, 20.0, 65.0, 70.0], [600, 300, 200, 500, 600], [0, 0, 0, 0, 0]
    )


def test_spill_share_and_minutes_at_risk() -> None:
    entry = capacity(output_token_weight=1, minimum_ptus=1, increment_ptus=1)
    result = replay(hand_demand(), entry, 1)
    assert result.ptu_tokens == 1400
    assert result.spilled_tokens == 800
    assert result.spilled_requests == 2
    assert result.minutes_spilling == 2
    assert result.refused_requests == 0
    assert result.minutes_refused == 0


def test_payg_quota_refuses_what_it_cannot_take() -> None:
    # PAYG quota 500 per minute: the 200 spilled at 20 s fits; the 600 spilled at 70 s does not
    # (200 still in PAYG's window, 800 > 500): refused, in minute 1 only.
    entry = capacity(output_token_weight=1, minimum_ptus=1, increment_ptus=1)
    result = replay(hand_demand(), entry, 1, payg_tpm=500)
    assert result.spilled_tokens == 200
    assert result.refused_tokens == 600
    assert result.minutes_spilling == 2
    assert result.minutes_refused == 1
    requests_capped = replay(hand_demand(), entry, 0, payg_rpm=2)
    # No PTU: all go to PAYG at 2 requests a minute. 20 s is the third within 60 s: refused;
    # by 65 s the 0 s request has left, by 70 s the 10 s one.
    assert requests_capped.spilled_requests == 4
    assert requests_capped.refused_requests == 1
    assert requests_capped.refused_tokens == 200
    assert requests_capped.minutes_spilling == 0  # no PTU to spill from


def test_an_empty_window_takes_an_oversized_request() -> None:
    entry = capacity(output_token_weight=1, minimum_ptus=1, increment_ptus=1)
    demand = Demand("m", "t", 1, [0.0, 1.0], [5000, 10], [0, 0])
    result = replay(demand, entry, 1)
    assert result.ptu_tokens == 5000
    assert result.spilled_tokens == 10


def test_recommends_payg_when_ptus_never_pay() -> None:
    plan = make_plan(profile_demand(flat_profile(), "t"), capacity(), PlanOptions())
    assert plan.break_even_utilization is not None
    assert plan.break_even_utilization > 1
    assert plan.recommended.ptus == 0
    assert plan.reasons[0].startswith("Stay on PAYG")
    assert "impossible" in plan.reasons[1]


def test_recommends_the_cheapest_count_with_spillover() -> None:
    # Cheap PTUs ($0.01 per hour, break-even 19 %): a flat day fills 14 PTUs all the time, so
    # PTUs carry the whole load; the cheapest deployable count covers it: 17.
    plan = make_plan(
        profile_demand(flat_profile(), "t"), capacity(ptu_hour_usd=0.01), PlanOptions()
    )
    assert plan.recommended.ptus == 17
    assert plan.recommended.total_usd == pytest.approx(17 * 0.01 * 730)
    assert plan.reasons[0].startswith("Buy 17 PTUs")
    costs = {row.ptus: row.total_usd for row in plan.rows}
    assert min(costs.values()) == pytest.approx(plan.recommended.total_usd)


def test_a_refusing_payg_quota_moves_the_recommendation_up() -> None:
    # Half the day at 10 rpm, half at 40: with PAYG limited to 2,000 tokens a minute, the
    # cheapest count leaves refusals; the recommendation is the smallest count without any.
    profile = TrafficProfile.model_validate(
        {
            "model": "m",
            "prompt_tokens": 100,
            "completion_tokens": 0,
            "hours": [{"hour": "0-11", "rpm": 10}, {"hour": "12-23", "rpm": 40}],
        }
    )
    entry = capacity(
        input_tpm_per_ptu=100,
        minimum_ptus=1,
        increment_ptus=1,
        ptu_hour_usd=0.05,
        payg_input_usd_per_million=10,
    )
    demand = profile_demand(profile, "t")
    free = make_plan(demand, entry, PlanOptions())
    limited = make_plan(demand, entry, PlanOptions(payg_tpm=2000))
    assert limited.best.minutes_refused > 0
    assert limited.recommended.minutes_refused == 0
    assert limited.recommended.ptus > limited.best.ptus
    assert any("PAYG quota refuses" in reason for reason in limited.reasons)
    assert free.recommended.minutes_refused == 0
