"""Metrics of one finished request: what is counted, under which labels, from the Exchange."""

from __future__ import annotations

import pytest
from tests.exchanges import make_exchange

from sluicegate.core.errors import AttemptSummary
from sluicegate.core.exchange import ShieldEvent, Usage
from sluicegate.core.identity import Principal, Role
from sluicegate.core.usage_sink import LedgerLag
from sluicegate.telemetry.metrics import BackendGauge, GatewayMetrics


def sample(metrics: GatewayMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_a_served_stream_counts_duration_ttft_tokens_overhead_and_failovers() -> None:
    metrics = GatewayMetrics()
    metrics.request_started()
    assert sample(metrics, "sluicegate_requests_in_flight") == 1.0
    exchange = make_exchange(
        stream=True,
        started_at=10.0,
        route="gpt-4o",
        served_by="payg",
        status=200,
        upstream_seconds=1.5,
        usage=Usage(prompt_tokens=12, completion_tokens=30, total_tokens=42),
        principal=Principal("k1", "research", Role.APP),
        attempts=[AttemptSummary("ptu", 429, "rate_limited", 3.0)],
    )
    exchange.first_byte_at = 10.25
    metrics.request_finished(exchange, "chat", 200, 2.0, None)

    assert sample(metrics, "sluicegate_requests_in_flight") == 0.0
    labels = {"gen_ai_operation_name": "chat", "gen_ai_request_model": "gpt-4o"}
    duration = "gen_ai_server_request_duration_seconds"
    assert sample(metrics, f"{duration}_count", **labels, backend="payg", status="200") == 1.0
    assert sample(metrics, f"{duration}_sum", **labels, backend="payg", status="200") == 2.0
    ttft = "gen_ai_server_time_to_first_token_seconds"
    assert sample(metrics, f"{ttft}_sum", **labels, backend="payg") == pytest.approx(0.25)
    tokens = "gen_ai_usage_tokens_total"
    model = {"gen_ai_request_model": "gpt-4o", "team": "research"}
    assert sample(metrics, tokens, gen_ai_token_type="input", **model) == 12.0
    assert sample(metrics, tokens, gen_ai_token_type="output", **model) == 30.0
    overhead = "sluicegate_gateway_overhead_seconds_sum"
    assert sample(metrics, overhead, gen_ai_request_model="gpt-4o") == pytest.approx(0.5)
    failures = "sluicegate_upstream_failures_total"
    assert sample(metrics, failures, backend="ptu", status="429", error="rate_limited") == 1.0
    assert sample(metrics, "sluicegate_refusals_total", code="rate_limit_exceeded") is None


def test_refusals_and_shield_findings_are_counted_by_code_and_category() -> None:
    metrics = GatewayMetrics()
    exchange = make_exchange(route="gpt-4o", status=400)
    exchange.shield_events.append(
        ShieldEvent("input", "jailbreak", "classifier", 6, "block", "prompt_shield")
    )
    exchange.shield_events.append(ShieldEvent("input", "pii", "email", 6, "redact", "pii"))
    for _ in range(2):
        metrics.request_started()
        metrics.request_finished(exchange, "chat", 400, 0.01, "content_filter")
    assert sample(metrics, "sluicegate_refusals_total", code="content_filter") == 2.0
    findings = "sluicegate_shield_findings_total"
    assert sample(metrics, findings, direction="input", category="jailbreak", action="block") == 2.0
    assert sample(metrics, findings, direction="input", category="pii", action="redact") == 2.0
    assert sample(metrics, "gen_ai_server_time_to_first_token_seconds_count",
                  gen_ai_operation_name="chat", gen_ai_request_model="gpt-4o",
                  backend="") is None  # fmt: skip


def test_a_request_that_never_parsed_is_counted_without_a_model() -> None:
    metrics = GatewayMetrics()
    metrics.request_started()
    metrics.request_finished(None, "embeddings", 400, 0.001, "invalid_request_error")
    labels = {"gen_ai_operation_name": "embeddings", "gen_ai_request_model": "", "backend": ""}
    count = "gen_ai_server_request_duration_seconds_count"
    assert sample(metrics, count, **labels, status="400") == 1.0
    assert sample(metrics, "sluicegate_refusals_total", code="invalid_request_error") == 1.0
    assert sample(metrics, "sluicegate_requests_in_flight") == 0.0


def test_each_gateway_has_its_own_registry() -> None:
    first, second = GatewayMetrics(), GatewayMetrics()
    first.request_started()
    assert sample(second, "sluicegate_requests_in_flight") == 0.0
    assert b"sluicegate_requests_in_flight 1.0" in first.render()


def test_time_per_output_token_spillover_and_utilization_from_one_stream() -> None:
    metrics = GatewayMetrics()
    exchange = make_exchange(
        stream=True,
        started_at=0.0,
        route="gpt-4o",
        served_by="payg",
        status=200,
        usage=Usage(prompt_tokens=10, completion_tokens=11, total_tokens=21),
        spilled_over=True,
        utilization=0.42,
    )
    exchange.first_byte_at = 0.5
    metrics.request_finished(exchange, "chat", 200, 1.5, None)

    labels = {"gen_ai_operation_name": "chat", "gen_ai_request_model": "gpt-4o", "backend": "payg"}
    tpot = "gen_ai_server_time_per_output_token_seconds"
    # (1.5 s - 0.5 s) over the 10 tokens after the first
    assert sample(metrics, f"{tpot}_sum", **labels) == pytest.approx(0.1)
    spill = "sluicegate_spillover_total"
    assert sample(metrics, spill, gen_ai_request_model="gpt-4o", backend="payg") == 1.0
    ratio = "sluicegate_backend_ptu_utilization_ratio"
    assert sample(metrics, ratio, backend="payg") == pytest.approx(0.42)


def test_no_time_per_output_token_for_one_token_or_a_failed_stream() -> None:
    metrics = GatewayMetrics()
    for tokens, status in ((1, 200), (30, 500)):
        exchange = make_exchange(
            stream=True,
            route="gpt-4o",
            served_by="payg",
            status=status,
            usage=Usage(prompt_tokens=3, completion_tokens=tokens, total_tokens=3 + tokens),
        )
        exchange.first_byte_at = 0.1
        metrics.request_finished(exchange, "chat", status, 1.0, None)
    labels = {"gen_ai_operation_name": "chat", "gen_ai_request_model": "gpt-4o", "backend": "payg"}
    assert sample(metrics, "gen_ai_server_time_per_output_token_seconds_count", **labels) is None
    assert sample(metrics, "sluicegate_spillover_total", gen_ai_request_model="gpt-4o",
                  backend="payg") is None  # fmt: skip


def test_backend_states_and_ledger_lag_are_read_at_scrape_time() -> None:
    metrics = GatewayMetrics()
    states = [BackendGauge("gpt-4o", "ptu", "ptu", 1, 0.0)]
    lag = LedgerLag(
        pending=3,
        oldest_pending_age_s=1.25,
        spool_bytes=900,
        over_cap=False,
        written=7,
        write_failures=1,
        cap_reached=0,
        dropped=0,
        corrupt=0,
    )
    metrics.watch_backends(lambda: states)
    metrics.watch_ledger(lambda: lag)
    labels = {"pool": "gpt-4o", "backend": "ptu", "kind": "ptu", "priority": "1"}
    assert sample(metrics, "sluicegate_backend_up", **labels) == 1.0
    states[0] = BackendGauge("gpt-4o", "ptu", "ptu", 1, 12.5)  # it was throttled since
    assert sample(metrics, "sluicegate_backend_up", **labels) == 0.0
    cooldown = "sluicegate_backend_cooldown_remaining_seconds"
    assert sample(metrics, cooldown, **labels) == 12.5
    assert sample(metrics, "sluicegate_ledger_pending_records") == 3.0
    assert sample(metrics, "sluicegate_ledger_write_lag_seconds") == 1.25
    assert sample(metrics, "sluicegate_ledger_spool_bytes") == 900.0
    assert sample(metrics, "sluicegate_ledger_written_records_total") == 7.0
    assert sample(metrics, "sluicegate_ledger_write_failures_total") == 1.0
    assert b"sluicegate_ledger_dropped_records_total 0.0" in metrics.render()


def test_primed_series_exist_at_zero_so_rate_counts_their_first_increment() -> None:
    metrics = GatewayMetrics()
    assert sample(metrics, "sluicegate_refusals_total", code="rate_limit_exceeded") is None
    metrics.prime(backends=["ptu-east", "paygo-west"], spill_targets=[("gpt-4o", "paygo-west")])
    for code in ("rate_limit_exceeded", "budget_exceeded", "content_filter", "invalid_api_key"):
        assert sample(metrics, "sluicegate_refusals_total", code=code) == 0
    assert sample(metrics, "sluicegate_refusals_total", code="invalid_request_error") == 0
    for backend in ("ptu-east", "paygo-west"):
        labels = {"backend": backend, "status": "429", "error": ""}
        assert sample(metrics, "sluicegate_upstream_failures_total", **labels) == 0
    spill = {"gen_ai_request_model": "gpt-4o", "backend": "paygo-west"}
    assert sample(metrics, "sluicegate_spillover_total", **spill) == 0
    assert sample(metrics, "sluicegate_spillover_total", gen_ai_request_model="gpt-4o",
                  backend="ptu-east") is None  # fmt: skip
