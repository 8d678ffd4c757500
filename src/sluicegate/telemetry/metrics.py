"""Prometheus metrics of the request path, named after the OpenTelemetry GenAI conventions
where one exists (`gen_ai.server.request.duration`, `gen_ai.server.time_to_first_token`,
`gen_ai.client.token.usage` as counters of tokens).

Each gateway owns its registry (no process-global state), so tests and several gateways in one
process never mix their numbers. Everything is recorded once per request, after its last byte,
from the Exchange: nothing on the request path but an in-flight gauge.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from sluicegate.core.exchange import Exchange

__all__ = ["CONTENT_TYPE", "GatewayMetrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNKNOWN = ""
"""The label value for what a request never got to (a body that did not parse has no model)."""

_DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160)
_TTFT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20)
_OVERHEAD_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)


class GatewayMetrics:
    """The gateway's metrics and their registry; `render` is the `/metrics` body."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.duration = Histogram(
            "gen_ai_server_request_duration_seconds",
            "Time from receiving a model request to its last byte, by operation, model route, "
            "backend that served it and HTTP status.",
            ("gen_ai_operation_name", "gen_ai_request_model", "backend", "status"),
            buckets=_DURATION_BUCKETS,
            registry=registry,
        )
        self.time_to_first_token = Histogram(
            "gen_ai_server_time_to_first_token_seconds",
            "Time from receiving a streamed request to sending its first byte of reply.",
            ("gen_ai_operation_name", "gen_ai_request_model", "backend"),
            buckets=_TTFT_BUCKETS,
            registry=registry,
        )
        self.tokens = Counter(
            "gen_ai_usage_tokens",
            "Tokens used by served requests, by type (input or output), model route and team.",
            ("gen_ai_token_type", "gen_ai_request_model", "team"),
            registry=registry,
        )
        self.overhead = Histogram(
            "sluicegate_gateway_overhead_seconds",
            "Time a request spent in the gateway itself: its duration minus the time waiting "
            "on backends.",
            ("gen_ai_request_model",),
            buckets=_OVERHEAD_BUCKETS,
            registry=registry,
        )
        self.upstream_failures = Counter(
            "sluicegate_upstream_failures",
            "Attempts a backend refused or failed (429, 5xx, timeouts, connection errors), "
            "each followed by a failover or the request's failure.",
            ("backend", "status", "error"),
            registry=registry,
        )
        self.refusals = Counter(
            "sluicegate_refusals",
            "Requests the gateway answered with an error itself, by error code "
            "(rate_limit_exceeded, content_filter, invalid_api_key, …).",
            ("code",),
            registry=registry,
        )
        self.shield_findings = Counter(
            "sluicegate_shield_findings",
            "Safety findings by direction (input, document, output), category and the action "
            "taken (block, redact, annotate, shadow).",
            ("direction", "category", "action"),
            registry=registry,
        )
        self.in_flight = Gauge(
            "sluicegate_requests_in_flight",
            "Model requests received and not yet finished.",
            registry=registry,
        )

    def request_started(self) -> None:
        self.in_flight.inc()

    def request_finished(
        self,
        exchange: Exchange | None,
        operation: str,
        status: int,
        seconds: float,
        refusal_code: str | None,
    ) -> None:
        """Record one finished request. `refusal_code` is the error code when the gateway
        itself answered with an error (not a backend's error passed through)."""
        self.in_flight.dec()
        if refusal_code is not None:
            self.refusals.labels(refusal_code).inc()
        if exchange is None:
            self.duration.labels(operation, UNKNOWN, UNKNOWN, str(status)).observe(seconds)
            return
        model = exchange.route or UNKNOWN
        backend = exchange.served_by or UNKNOWN
        self.duration.labels(operation, model, backend, str(status)).observe(seconds)
        self.overhead.labels(model).observe(max(0.0, seconds - exchange.upstream_seconds))
        if exchange.stream and exchange.first_byte_at is not None:
            self.time_to_first_token.labels(operation, model, backend).observe(
                max(0.0, exchange.first_byte_at - exchange.started_at)
            )
        usage = exchange.usage
        if usage is not None:
            team = exchange.principal.team if exchange.principal is not None else UNKNOWN
            self.tokens.labels("input", model, team).inc(usage.prompt_tokens)
            self.tokens.labels("output", model, team).inc(usage.completion_tokens)
        for attempt in exchange.attempts:
            self.upstream_failures.labels(
                attempt.backend, str(attempt.status or ""), attempt.error or ""
            ).inc()
        for event in exchange.shield_events:
            self.shield_findings.labels(event.direction, event.category, event.action).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
