"""One structured JSON line per model request, written after its last byte.

The line is what an operator greps when a user says "my request failed": who called, which
route, deployment and backend served it, every attempt and its status, spillover, tokens, cost,
latency, time to first token, the gateway's own overhead, the safety verdicts and how the request
ended. It never holds a prompt, a completion or a credential: the fields are built from the
Exchange's accounting state only, and the consumer is named by key id or token subject.

Lines go to the `sluicegate.requests` logger at INFO, as the bare JSON object, so any logging
setup can route them; the CLI gives that logger a handler that prints the message alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from sluicegate.core.errors import GatewayError
from sluicegate.core.exchange import Exchange
from sluicegate.telemetry.tracing import trace_ids

__all__ = ["REQUEST_LOGGER", "RequestLog", "RequestOutcome"]

REQUEST_LOGGER = "sluicegate.requests"

CostFunction = Callable[[Exchange], float]


class RequestOutcome:
    """What the server knows of a request beyond its Exchange (which a malformed request never
    got): where it came in, how it ended, and its timings in seconds."""

    __slots__ = ("error", "method", "operation", "path", "request_id", "seconds", "status", "wall")

    def __init__(
        self,
        *,
        request_id: str,
        method: str,
        path: str,
        operation: str,
        status: int,
        seconds: float,
        wall: float,
        error: GatewayError | None,
    ) -> None:
        self.request_id = request_id
        self.method = method
        self.path = path
        self.operation = operation
        self.status = status
        self.seconds = seconds
        self.wall = wall
        """Wall-clock time (epoch seconds) when the request arrived."""
        self.error = error


class RequestLog:
    """Formats and emits the per-request line."""

    __slots__ = ("_cost", "_deployments", "_logger")

    def __init__(
        self,
        *,
        deployments: Mapping[str, str] | None = None,
        cost: CostFunction | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        """`deployments` maps a backend's name to its deployment (Azure deployment or upstream
        model); `cost` prices an exchange when accounting did not already (ledger off)."""
        self._deployments = dict(deployments or {})
        self._cost = cost
        self._logger = logger or logging.getLogger(REQUEST_LOGGER)

    def write(self, outcome: RequestOutcome, exchange: Exchange | None) -> None:
        logger = self._logger
        if not logger.isEnabledFor(logging.INFO):
            return
        logger.info("%s", orjson.dumps(self.line(outcome, exchange)).decode())

    def line(self, outcome: RequestOutcome, exchange: Exchange | None) -> dict[str, Any]:
        """The fields of one line, in a stable order (see docs/observability.md)."""
        error = outcome.error
        line: dict[str, Any] = {
            "ts": _iso(outcome.wall),
            "event": "request",
            "request_id": outcome.request_id,
            "method": outcome.method,
            "path": outcome.path,
            "operation": outcome.operation,
            "status": outcome.status,
            "error_type": error.error_type if error is not None else None,
            "error_code": error.code if error is not None else None,
            "latency_ms": _ms(outcome.seconds),
        }
        if exchange is None:
            line.update(_NOT_REACHED, overhead_ms=line["latency_ms"])
            return line
        principal = exchange.principal
        usage = exchange.usage
        backend = exchange.served_by
        upstream = exchange.upstream_seconds
        traced = trace_ids(exchange) if exchange.trace is not None else None
        line.update(
            consumer=principal.subject if principal is not None else None,
            team=principal.team if principal is not None else None,
            auth=principal.via if principal is not None else None,
            model=exchange.model,
            route=exchange.route or None,
            prompt_version=exchange.prompt_version,
            prompt_label=exchange.prompt_label,
            stream=exchange.stream,
            backend=backend,
            deployment=self._deployments.get(backend) if backend is not None else None,
            attempts=[attempt.as_dict() for attempt in exchange.attempts],
            spillover=exchange.spilled_over,
            prompt_tokens=usage.prompt_tokens if usage is not None else None,
            completion_tokens=usage.completion_tokens if usage is not None else None,
            cached_tokens=usage.cached_tokens if usage is not None else None,
            cost_usd=self._cost_of(exchange),
            ttft_ms=(
                _ms(exchange.first_byte_at - exchange.started_at)
                if exchange.first_byte_at is not None
                else None
            ),
            upstream_ms=_ms(upstream),
            overhead_ms=_ms(max(0.0, outcome.seconds - upstream)),
            utilization=exchange.utilization,
            shields=[
                {
                    "direction": event.direction,
                    "category": event.category,
                    "label": event.label,
                    "severity": event.severity,
                    "action": event.action,
                    "detector": event.detector,
                }
                for event in exchange.shield_events
            ],
            trace_id=traced[0] if traced is not None else None,
            span_id=traced[1] if traced is not None else None,
        )
        return line

    def _cost_of(self, exchange: Exchange) -> float | None:
        if exchange.cost is not None:
            return round(exchange.cost, 8)
        if self._cost is None or exchange.usage is None:
            return None
        return round(max(0.0, self._cost(exchange)), 8)


_NOT_REACHED: dict[str, Any] = {
    "consumer": None,
    "team": None,
    "auth": None,
    "model": None,
    "route": None,
    "prompt_version": None,
    "prompt_label": None,
    "stream": None,
    "backend": None,
    "deployment": None,
    "attempts": [],
    "spillover": False,
    "prompt_tokens": None,
    "completion_tokens": None,
    "cached_tokens": None,
    "cost_usd": None,
    "ttft_ms": None,
    "upstream_ms": 0.0,
    "overhead_ms": None,
    "utilization": None,
    "shields": [],
    "trace_id": None,
    "span_id": None,
}
"""The fields of a request refused before it had an Exchange (its body did not parse): every
line has the same keys, so log queries need no special cases."""


def _ms(seconds: float) -> float:
    return round(max(0.0, seconds) * 1000.0, 3)


def _iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds")
