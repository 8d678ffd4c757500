"""Metrics of one finished request: what is counted, under which labels, from the Exchange."""

from __future__ import annotations

import pytest
from tests.exchanges import make_exchange

from sluicegate.core.errors import AttemptSummary
from sluicegate.core.exchange import ShieldEvent, Usage
from sluicegate.core.identity import Principal, Role
from sluicegate.telemetry.metrics import GatewayMetrics


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
