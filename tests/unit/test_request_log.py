"""The per-request JSON line: its fields come from the Exchange's accounting, never from the
text of the request or its credentials, and every line has the same keys."""

from __future__ import annotations

import logging

import orjson
import pytest
from tests.exchanges import make_exchange

from sluicegate.core.errors import AttemptSummary, InvalidRequest
from sluicegate.core.exchange import Exchange, ShieldEvent, Usage
from sluicegate.core.identity import Principal, Role
from sluicegate.telemetry.request_log import REQUEST_LOGGER, RequestLog, RequestOutcome

SECRET_PROMPT = "my card is 4111 1111 1111 1111, please summarise"
CLIENT_KEY = "sk-sg-client-key-that-must-never-be-logged"


def outcome(status: int = 200, error: InvalidRequest | None = None) -> RequestOutcome:
    return RequestOutcome(
        request_id="req-1",
        method="POST",
        path="/v1/chat/completions",
        operation="chat",
        status=status,
        seconds=1.5,
        wall=1_796_000_000.0,
        error=error,
    )


def served() -> Exchange:
    exchange = make_exchange(
        body={"model": "gpt-4o", "messages": [{"role": "user", "content": SECRET_PROMPT}]},
        client_headers={"Authorization": f"Bearer {CLIENT_KEY}"},
        stream=True,
        route="gpt-4o",
        served_by="paygo-west",
        status=200,
        upstream_seconds=1.25,
        usage=Usage(prompt_tokens=12, completion_tokens=30, total_tokens=42),
        principal=Principal("key-7", "research", Role.APP),
        attempts=[AttemptSummary("ptu-east", 429, None, 3.04)],
        spilled_over=True,
        prompt_version="support@3",
    )
    exchange.first_byte_at = 0.4
    exchange.shield_events.append(ShieldEvent("input", "pii", "credit_card", 6, "redact", "pii"))
    return exchange


def test_a_served_request_names_everything_an_operator_asks_about() -> None:
    log = RequestLog(deployments={"paygo-west": "gpt-4o-2024-08-06"}, cost=lambda _: 0.0042)
    line = log.line(outcome(), served())
    assert line["ts"] == "2026-11-30T00:53:20.000+00:00"
    assert line["request_id"] == "req-1"
    assert (line["consumer"], line["team"], line["auth"]) == ("key-7", "research", "key")
    assert (line["route"], line["backend"], line["deployment"]) == (
        "gpt-4o",
        "paygo-west",
        "gpt-4o-2024-08-06",
    )
    assert line["attempts"] == [
        {"backend": "ptu-east", "status": 429, "error": None, "duration_ms": 3.0}
    ]
    assert line["spillover"] is True
    assert (line["prompt_tokens"], line["completion_tokens"]) == (12, 30)
    assert line["cost_usd"] == 0.0042
    assert (line["latency_ms"], line["ttft_ms"]) == (1500.0, 400.0)
    assert (line["upstream_ms"], line["overhead_ms"]) == (1250.0, 250.0)
    assert line["prompt_version"] == "support@3"
    assert line["shields"] == [
        {
            "direction": "input",
            "category": "pii",
            "label": "credit_card",
            "severity": 6,
            "action": "redact",
            "detector": "pii",
        }
    ]
    text = orjson.dumps(line).decode()
    assert "4111" not in text
    assert CLIENT_KEY not in text


def test_the_cost_accounting_settled_wins_over_a_fresh_estimate() -> None:
    exchange = served()
    exchange.cost = 0.01
    assert RequestLog(cost=lambda _: 99.0).line(outcome(), exchange)["cost_usd"] == 0.01
    exchange.usage = None
    exchange.cost = None
    assert RequestLog(cost=lambda _: 99.0).line(outcome(), exchange)["cost_usd"] is None


def test_a_request_refused_before_parsing_has_the_same_keys() -> None:
    log = RequestLog()
    refused = log.line(outcome(400, InvalidRequest("bad JSON")), None)
    assert list(refused) == list(log.line(outcome(), served()))
    assert (refused["status"], refused["error_type"]) == (400, "invalid_request_error")
    assert refused["backend"] is None
    assert refused["overhead_ms"] == refused["latency_ms"]


def test_lines_are_bare_json_on_their_logger_and_cost_nothing_when_silenced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = RequestLog()
    caplog.set_level(logging.WARNING, logger=REQUEST_LOGGER)
    log.write(outcome(), served())
    assert not caplog.records
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    log.write(outcome(), served())
    (record,) = caplog.records
    assert record.name == REQUEST_LOGGER
    assert orjson.loads(record.getMessage())["request_id"] == "req-1"
