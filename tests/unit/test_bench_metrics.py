"""The formulas of `sluicegate bench`, checked against figures computed by hand."""

from __future__ import annotations

import pytest

from sluicegate.bench.aggregate import primary_backend, summarize, windows
from sluicegate.bench.metrics import (
    distribution,
    per_minute,
    percentile,
    spillover_share,
    time_between_tokens,
    token_cost,
)
from sluicegate.bench.outcome import Outcome
from sluicegate.bench.prices import PriceTable


def test_nearest_rank_percentiles() -> None:
    ordered = [float(v) for v in range(1, 11)]  # 1..10
    assert percentile(ordered, 50) == 5.0  # ceil(0.5 * 10) = 5th
    assert percentile(ordered, 90) == 9.0
    assert percentile(ordered, 95) == 10.0  # ceil(9.5) = 10th
    assert percentile(ordered, 99) == 10.0
    assert percentile([7.0], 50) == 7.0
    assert percentile([], 50) is None
    # 20 samples: p95 is the 19th, not an interpolation between 19th and 20th.
    assert percentile([float(v) for v in range(1, 21)], 95) == 19.0
    with pytest.raises(ValueError, match="percentile"):
        percentile(ordered, 0)


def test_distribution_of_samples() -> None:
    dist = distribution([0.4, 0.1, 0.3, 0.2])
    assert dist["count"] == 4
    assert dist["mean"] == pytest.approx(0.25)
    assert dist["p50"] == 0.2
    assert dist["p99"] == 0.4
    assert dist["max"] == 0.4
    assert distribution([])["p50"] is None


def test_time_between_tokens() -> None:
    # 1.2 s end to end, first token at 0.2 s, 11 tokens: 10 gaps in 1.0 s.
    assert time_between_tokens(1.2, 0.2, 11) == pytest.approx(0.1)
    assert time_between_tokens(0.5, 0.5, 2) == 0.0
    assert time_between_tokens(1.0, 0.2, 1) is None
    assert time_between_tokens(1.0, 0.2, 0) is None


def test_rates_per_minute_and_cost() -> None:
    assert per_minute(30, 15.0) == 120.0
    assert per_minute(5, 0.0) == 0.0
    # 1,000 prompt tokens at $2.50/1M and 500 completion tokens at $10/1M.
    assert token_cost(1000, 500, 2.5, 10.0) == pytest.approx(0.0025 + 0.005)


def test_spillover_share() -> None:
    assert spillover_share({"ptu": 6, "paygo": 2}, "ptu") == 0.25
    assert spillover_share({"paygo": 3}, "ptu") == 1.0
    assert spillover_share({"ptu": 3}, None) is None
    assert spillover_share({}, "ptu") is None


def _done(start: float, end: float, **fields: object) -> Outcome:
    values: dict[str, object] = {
        "scheduled": start,
        "sent": start,
        "end": end,
        "first_token": start + 0.1,
        "status": 200,
        "prompt_tokens": 100,
        "generated_tokens": 11,
        "model": "gpt-4o",
    }
    values.update(fields)
    return Outcome(**values)  # type: ignore[arg-type]


def test_summary_counts_rates_latencies_and_cost() -> None:
    outcomes = [
        _done(0.0, 1.1, backend="ptu", gateway_attempts=1, utilization=0.5),
        _done(1.0, 2.1, backend="ptu", gateway_attempts=1, utilization=0.7),
        _done(2.0, 3.0, backend="paygo", gateway_attempts=2, throttles=1, attempts=2),
        Outcome(2.5, 2.5, 2.6, status=429, error="status_429", throttles=1),
        Outcome(2.6, 2.7, 2.8, status=500, error="status_500"),
    ]
    prices = PriceTable.model_validate(
        {"models": {"gpt-4o": {"input_per_1m": 2.0, "output_per_1m": 10.0}}}
    )
    summary = summarize(outcomes, primary="ptu", prices=prices)
    assert (summary["requests"], summary["completed"]) == (5, 3)
    assert (summary["failed"], summary["throttled"]) == (1, 1)
    assert summary["throttle_responses"] == 2
    assert summary["retries"] == 1
    assert summary["errors"] == {"status_429": 1, "status_500": 1}
    # Span: first scheduled 0.0 to last end 3.0.
    assert summary["seconds"] == pytest.approx(3.0)
    assert summary["rpm"] == pytest.approx(3 * 60 / 3.0)
    assert summary["context_tpm"] == pytest.approx(300 * 60 / 3.0)
    assert summary["generated_tpm"] == pytest.approx(33 * 60 / 3.0)
    assert summary["total_tpm"] == pytest.approx(333 * 60 / 3.0)
    assert summary["ttft"]["p50"] == pytest.approx(0.1)
    # TBT: (1.1 − 0.1) / 10, (1.1 − 0.1) / 10, (1.0 − 0.1) / 10.
    assert summary["tbt"]["p50"] == pytest.approx(0.1)
    assert summary["tbt"]["max"] == pytest.approx(0.1)
    assert summary["tbt"]["mean"] == pytest.approx((0.1 + 0.1 + 0.09) / 3)
    assert summary["e2e"]["max"] == pytest.approx(1.1)
    assert summary["send_lag"]["max"] == pytest.approx(0.1)
    assert summary["served_by"] == {"ptu": 2, "paygo": 1}
    assert summary["spillover_share"] == pytest.approx(1 / 3)
    assert summary["gateway_retried_share"] == pytest.approx(1 / 3)
    assert summary["utilization"]["mean"] == pytest.approx(0.6)
    assert summary["utilization"]["max"] == pytest.approx(0.7)
    # 3 × (100 × $2 + 11 × $10) / 1M.
    assert summary["cost"]["total_usd"] == pytest.approx(3 * (200 + 110) / 1e6)
    assert summary["cost"]["per_1k_requests_usd"] == pytest.approx(1000 * (200 + 110) / 1e6)


def test_unpriced_models_are_named_not_guessed() -> None:
    prices = PriceTable.model_validate(
        {"models": {"other": {"input_per_1m": 1.0, "output_per_1m": 1.0}}}
    )
    summary = summarize([_done(0.0, 1.0)], prices=prices)
    assert summary["cost"]["total_usd"] == 0.0
    assert summary["cost"]["unpriced_requests"] == {"gpt-4o": 1}
    star = PriceTable.model_validate({"models": {"*": {"input_per_1m": 1.0, "output_per_1m": 0}}})
    assert summarize([_done(0.0, 1.0)], prices=star)["cost"]["total_usd"] == pytest.approx(1e-4)


def test_windows_attribute_tokens_to_the_window_of_completion() -> None:
    outcomes = [_done(0.0, 0.5), _done(0.2, 1.5), _done(0.4, 1.9), _done(1.0, 2.5)]
    result = windows(outcomes, 0.0, 1.0)
    assert [w["completed"] for w in result] == [1, 2, 1]
    # Window 1: 2 × 11 generated tokens in 1 s → 1,320 TPM; 2 × 111 total → 13,320 TPM.
    assert result[1]["generated_tpm"] == pytest.approx(22 * 60)
    assert result[1]["total_tpm"] == pytest.approx(222 * 60)
    assert result[1]["rpm"] == pytest.approx(120)
    # The last window lasts until the last completion (2.5 s): half a second.
    assert result[2]["end"] == pytest.approx(2.5)
    assert result[2]["rpm"] == pytest.approx(120)


def test_an_empty_window_is_kept() -> None:
    result = windows([_done(0.0, 0.5), _done(0.0, 2.5)], 0.0, 1.0)
    assert [w["completed"] for w in result] == [1, 0, 1]
    assert result[1]["rpm"] == 0.0


def test_primary_backend_is_the_first_to_serve() -> None:
    outcomes = [_done(1.0, 2.0, backend="paygo"), _done(0.0, 3.0, backend="ptu")]
    assert primary_backend(outcomes) == "ptu"
    assert primary_backend([_done(0.0, 1.0)]) is None
