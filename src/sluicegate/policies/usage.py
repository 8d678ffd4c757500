"""Usage accounting: one ledger record for every accepted request, whatever its outcome.

"Accepted" means the request reached this policy: it parsed, named a model this gateway
serves, passed authentication, the model allow-lists and the quota check. So the chain puts
this policy right after authentication and quota. A request refused before that (400 bad
body, 401, 403, 404 unknown model, 405, 413, quota 429) has no record; its refusal is in the
request log. Every request that got here has exactly one, whatever happened next: 2xx, a 4xx
from the backend passed through, a 5xx, a routing 429 (every backend cooling down), a refusal
by a later policy (a content shield's 400), a deadline, or a client that left (status 499 when
no status was decided yet).

The record is built in a finish hook (after the last byte, on error, on disconnect) and handed
to a `UsageSink`, which makes it durable before the hook returns and writes it to the ledger
later, in batches.

When the capture policy (inside this one) selected the request, the record carries its prompt
and completion (`Exchange.capture`): they share the record's spool and database transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from sluicegate.core.clock import Clock
from sluicegate.core.exchange import Exchange
from sluicegate.core.ledger import UsageRecord
from sluicegate.core.policy import Handler
from sluicegate.core.reply import Reply
from sluicegate.core.usage_sink import UsageSink

log = logging.getLogger("sluicegate.usage")

CLIENT_CLOSED = 499
"""The status recorded when the client left before the gateway decided one (nginx's code)."""
ANONYMOUS = "anonymous"

CostFunction = Callable[[Exchange], float]
"""The cost in USD of a finished exchange (its route, backend and usage)."""


def no_cost(exchange: Exchange) -> float:
    return 0.0


class UsagePolicy:
    """Policy: register the finish hook that records the request's usage."""

    __slots__ = ("_billing", "_clock", "_cost", "_deployments", "_sink")

    def __init__(
        self,
        sink: UsageSink,
        clock: Clock,
        *,
        deployments: Mapping[str, str] | None = None,
        billing: Mapping[str, str] | None = None,
        cost: CostFunction = no_cost,
    ) -> None:
        """`deployments` maps a backend's name to its deployment (Azure deployment or
        upstream model), as configured; `billing` maps it to how it is paid (`ptu` or
        `paygo`); `cost` prices an exchange (zero when no price table)."""
        self._sink = sink
        self._clock = clock
        self._deployments = dict(deployments or {})
        self._billing = dict(billing or {})
        self._cost = cost

    async def __call__(self, exchange: Exchange, call_next: Handler) -> Reply:
        if exchange.route:  # an unknown model is refused with 404, not accepted
            exchange.on_finish(self._finished)
        return await call_next(exchange)

    async def _finished(self, exchange: Exchange) -> None:
        # Never raise: the hooks registered before this one (quota settlement) must still run.
        try:
            record = self.record_for(exchange)
        except Exception:
            log.exception("cannot build the usage record of request %s", exchange.request_id)
            return
        exchange.cost = record.cost
        await self._sink.record(record)

    def record_for(self, exchange: Exchange) -> UsageRecord:
        """The ledger record of a finished exchange."""
        now = self._clock.now()
        started = exchange.started_at
        principal = exchange.principal
        usage = exchange.usage
        backend = exchange.served_by
        ttft = exchange.first_byte_at
        return UsageRecord(
            request_id=exchange.request_id,
            at=datetime.fromtimestamp(self._clock.wall() - (now - started), UTC),
            subject=principal.subject if principal is not None else ANONYMOUS,
            team=principal.team if principal is not None else "",
            model=exchange.route,
            backend=backend,
            status=exchange.status if exchange.status is not None else CLIENT_CLOSED,
            deployment=self._deployments.get(backend) if backend is not None else None,
            attempts=len(exchange.attempts) + (1 if backend is not None else 0),
            prompt_tokens=usage.prompt_tokens if usage is not None else 0,
            completion_tokens=usage.completion_tokens if usage is not None else 0,
            cached_tokens=usage.cached_tokens if usage is not None else 0,
            cost=max(0.0, self._cost(exchange)),
            latency_ms=max(0.0, (now - started) * 1000.0),
            ttft_ms=max(0.0, (ttft - started) * 1000.0) if ttft is not None else None,
            prompt_version=exchange.prompt_version,
            billing=self._billing.get(backend) if backend is not None else None,
            stream=exchange.stream,
            capture=exchange.capture,
        )
