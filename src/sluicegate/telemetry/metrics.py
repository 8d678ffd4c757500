"""Prometheus metrics of the request path, named after the OpenTelemetry GenAI conventions
where one exists (`gen_ai.server.request.duration`, `gen_ai.server.time_to_first_token`,
`gen_ai.client.token.usage` as counters of tokens).

Each gateway owns its registry (no process-global state), so tests and several gateways in one
process never mix their numbers. Everything is recorded once per request, after its last byte,
from the Exchange: nothing on the request path but an in-flight gauge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from sluicegate.core.errors import (
    AllBackendsFailed,
    AuthenticationFailed,
    BudgetExceeded,
    ContentFiltered,
    InvalidRequest,
    PermissionDenied,
    RateLimited,
)
from sluicegate.core.exchange import Exchange
from sluicegate.core.usage_sink import LedgerLag

__all__ = ["COMMON_REFUSALS", "CONTENT_TYPE", "BackendGauge", "GatewayMetrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
COMMON_REFUSALS: tuple[str, ...] = tuple(
    error.code or error.error_type
    for error in (
        RateLimited,
        BudgetExceeded,
        ContentFiltered,
        AuthenticationFailed,
        PermissionDenied,
        InvalidRequest,
        AllBackendsFailed,
    )
)
"""Refusal codes whose series exist from the start (`GatewayMetrics.prime`); the code a
refusal is counted under is its `code`, or its `error_type` when it has none."""
UNKNOWN = ""
"""The label value for what a request never got to (a body that did not parse has no model)."""

_DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160)
_TTFT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20)
_TPOT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1)
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
        self.time_per_output_token = Histogram(
            "gen_ai_server_time_per_output_token_seconds",
            "Time per output token after the first one, of streamed replies: (duration - time "
            "to first token) / (output tokens - 1).",
            ("gen_ai_operation_name", "gen_ai_request_model", "backend"),
            buckets=_TPOT_BUCKETS,
            registry=registry,
        )
        self.tokens = Counter(
            "gen_ai_usage_tokens",
            "Tokens used by served requests, by type (input or output), model route and team.",
            ("gen_ai_token_type", "gen_ai_request_model", "team"),
            registry=registry,
        )
        self.cost = Counter(
            "sluicegate_cost_usd",
            "What served requests cost in USD by the price table (pay-as-you-go tokens; "
            "provisioned throughput is prepaid and counts 0), by model route and team.",
            ("gen_ai_request_model", "team"),
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
        self.spillover = Counter(
            "sluicegate_spillover",
            "Requests served by a pool member below the pool's first priority (provisioned "
            "capacity full or cooling down, pay-as-you-go took them), by model route and backend.",
            ("gen_ai_request_model", "backend"),
            registry=registry,
        )
        self.utilization = Gauge(
            "sluicegate_backend_ptu_utilization_ratio",
            "The provisioned-throughput utilization (0-1) a backend reported on its latest "
            "reply (azure-openai-deployment-utilization).",
            ("backend",),
            registry=registry,
        )
        self.in_flight = Gauge(
            "sluicegate_requests_in_flight",
            "Model requests received and not yet finished.",
            registry=registry,
        )

    def prime(
        self,
        *,
        refusal_codes: Iterable[str] = COMMON_REFUSALS,
        backends: Iterable[str] = (),
        spill_targets: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Create the series that are known in advance at zero: a counter series appears only
        at its first increment, and `rate()` / `increase()` cannot count that increment (there
        is no earlier sample), so a dashboard would miss the first refusal, the first 429 of
        a backend or the first spillover. `spill_targets` are (model route, backend) pairs of
        members below their pool's first priority."""
        for code in refusal_codes:
            self.refusals.labels(code)
        for backend in backends:
            self.upstream_failures.labels(backend, "429", "")
        for model, backend in spill_targets:
            self.spillover.labels(model, backend)

    def watch_backends(self, states: Callable[[], Iterable[BackendGauge]]) -> None:
        """Report each backend's routing state at scrape time, read from `states`."""
        self.registry.register(_BackendCollector(states))

    def watch_ledger(self, lag: Callable[[], LedgerLag]) -> None:
        """Report how far the usage ledger is behind, read from `lag` at scrape time."""
        self.registry.register(_LedgerCollector(lag))

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
        usage = exchange.usage
        if exchange.stream and exchange.first_byte_at is not None:
            first = max(0.0, exchange.first_byte_at - exchange.started_at)
            self.time_to_first_token.labels(operation, model, backend).observe(first)
            if usage is not None and usage.completion_tokens > 1 and status < 300:
                self.time_per_output_token.labels(operation, model, backend).observe(
                    max(0.0, seconds - first) / (usage.completion_tokens - 1)
                )
        if exchange.spilled_over:
            self.spillover.labels(model, backend).inc()
        if exchange.utilization is not None and exchange.served_by is not None:
            self.utilization.labels(exchange.served_by).set(exchange.utilization)
        team = exchange.principal.team if exchange.principal is not None else UNKNOWN
        if usage is not None:
            self.tokens.labels("input", model, team).inc(usage.prompt_tokens)
            self.tokens.labels("output", model, team).inc(usage.completion_tokens)
        if exchange.cost:
            self.cost.labels(model, team).inc(exchange.cost)
        for attempt in exchange.attempts:
            self.upstream_failures.labels(
                attempt.backend, str(attempt.status or ""), attempt.error or ""
            ).inc()
        for event in exchange.shield_events:
            self.shield_findings.labels(event.direction, event.category, event.action).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


@dataclass(frozen=True, slots=True)
class BackendGauge:
    """One pool member's routing state, as the scrape reports it."""

    pool: str
    backend: str
    kind: str
    """`ptu` or `paygo`."""
    priority: int
    cooling_for_s: float
    """Seconds until its cool-down ends; 0 when it takes requests."""


class _BackendCollector(Collector):
    def __init__(self, states: Callable[[], Iterable[BackendGauge]]) -> None:
        self._states = states

    def collect(self) -> Iterator[Metric]:
        labels = ["pool", "backend", "kind", "priority"]
        up = GaugeMetricFamily(
            "sluicegate_backend_up",
            "1 when the pool may send requests to the backend, 0 while it cools down after "
            "a 429, a 5xx or a connection failure.",
            labels=labels,
        )
        cooldown = GaugeMetricFamily(
            "sluicegate_backend_cooldown_remaining_seconds",
            "Seconds until the backend's cool-down ends (0 when it is up).",
            labels=labels,
        )
        for state in self._states():
            values = [state.pool, state.backend, state.kind, str(state.priority)]
            up.add_metric(values, 0.0 if state.cooling_for_s > 0 else 1.0)
            cooldown.add_metric(values, state.cooling_for_s)
        yield up
        yield cooldown


class _LedgerCollector(Collector):
    def __init__(self, lag: Callable[[], LedgerLag]) -> None:
        self._lag = lag

    def collect(self) -> Iterator[Metric]:
        lag = self._lag()
        yield GaugeMetricFamily(
            "sluicegate_ledger_pending_records",
            "Usage records made durable in the local spool and not yet written to the ledger "
            "database.",
            value=lag.pending,
        )
        yield GaugeMetricFamily(
            "sluicegate_ledger_write_lag_seconds",
            "Age of the oldest usage record not yet written to the ledger database (0 when "
            "none is pending).",
            value=lag.oldest_pending_age_s,
        )
        yield GaugeMetricFamily(
            "sluicegate_ledger_spool_bytes",
            "Bytes the local usage spool takes on disk.",
            value=lag.spool_bytes,
        )
        yield CounterMetricFamily(
            "sluicegate_ledger_written_records",
            "Usage records written to the ledger database since start-up.",
            value=lag.written,
        )
        yield CounterMetricFamily(
            "sluicegate_ledger_write_failures",
            "Batches the ledger database refused or failed since start-up (each one retried).",
            value=lag.write_failures,
        )
        yield CounterMetricFamily(
            "sluicegate_ledger_dropped_records",
            "Usage records that could not be spooled at all since start-up.",
            value=lag.dropped,
        )
