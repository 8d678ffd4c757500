"""Token and request quotas: reserve before the call, reconcile to the real usage after.

Before the call the request is charged `estimated prompt tokens + max_tokens` on every limit
that applies (key, team, model; the tightest wins; the team as the authentication policy
found it, managed or configured), atomically in the quota store, so replicas
sharing a Redis enforce one limit, not one each. When the reply has ended the charge is set to
the real usage, or refunded whole when no backend was ever called.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sluicegate.config.quotas import QuotaSettings, RateLimits
from sluicegate.core.exchange import Exchange
from sluicegate.core.identity import Principal, TeamRecord
from sluicegate.core.policy import Handler
from sluicegate.core.quota import (
    Admission,
    QuotaLimit,
    QuotaStore,
    Reservation,
    Scope,
    Slot,
    concurrency_denied,
)
from sluicegate.core.reply import Reply
from sluicegate.policies.estimate import token_estimate

log = logging.getLogger("sluicegate.quota")


class QuotaPolicy:
    """Policy: admit within the caller's limits, answer 429 past them, stamp `x-ratelimit-*`."""

    __slots__ = ("_default_max_tokens", "_enforce", "_models", "_store")

    def __init__(self, store: QuotaStore, settings: QuotaSettings) -> None:
        self._store = store
        self._enforce = settings.mode == "enforce"
        self._default_max_tokens = settings.default_max_tokens
        self._models = _limits(Scope.MODEL, settings.models)

    async def __call__(self, exchange: Exchange, call_next: Handler) -> Reply:
        principal = exchange.principal
        limits = self._limits_for(principal, exchange.team, exchange.route)
        cap = principal.limits.max_concurrency if principal is not None else None
        if not limits and cap is None:
            return await call_next(exchange)
        slot = await self._acquire(principal, cap) if principal is not None else None
        try:
            decision = await self._store.reserve(
                limits, self.estimate(exchange), enforce=self._enforce
            )
        except BaseException:
            await self._release(slot)
            raise
        if not isinstance(decision, Admission):
            await self._release(slot)
            raise decision.error()
        if decision.over is not None:
            log.warning(
                "shadow mode: request %s would be refused: %s",
                exchange.request_id,
                decision.over.message(),
            )
        exchange.on_finish(_Settle(self._store, decision.reservation, slot))
        reply = await call_next(exchange)
        reply.headers.update(decision.headroom.headers())
        return reply

    def estimate(self, exchange: Exchange) -> int:
        """Tokens to reserve: the prompt's estimate plus the completion it may produce."""
        prompt, completion = token_estimate(exchange, self._default_max_tokens)
        return prompt + completion

    def _limits_for(
        self, principal: Principal | None, team: TeamRecord | None, route: str
    ) -> list[QuotaLimit]:
        limits = []
        if principal is not None:
            own = principal.limits
            if own.tpm is not None or own.rpm is not None:
                limits.append(QuotaLimit(Scope.KEY, principal.subject, own.tpm, own.rpm))
        if team is not None and (team.limits.tpm is not None or team.limits.rpm is not None):
            limits.append(QuotaLimit(Scope.TEAM, team.name, team.limits.tpm, team.limits.rpm))
        model = self._models.get(route)
        if model is not None:
            limits.append(model)
        return limits

    async def _acquire(self, principal: Principal, cap: int | None) -> Slot | None:
        if cap is None:
            return None
        slot = await self._store.acquire(principal.subject, cap)
        if slot is not None:
            return slot
        if self._enforce:
            raise concurrency_denied(principal.subject, cap)
        log.warning("shadow mode: key %s is over its concurrency cap %d", principal.subject, cap)
        return None

    async def _release(self, slot: Slot | None) -> None:
        if slot is not None:
            await self._store.release(slot)


class _Settle:
    """Finish hook: set the charge to the real usage, or refund it when nothing was sent."""

    __slots__ = ("_reservation", "_slot", "_store")

    def __init__(self, store: QuotaStore, reservation: Reservation, slot: Slot | None) -> None:
        self._store = store
        self._reservation = reservation
        self._slot = slot

    async def __call__(self, exchange: Exchange) -> None:
        try:
            if exchange.usage is not None:
                await self._store.reconcile(self._reservation, exchange.usage.total_tokens)
            elif exchange.served_by is None and not exchange.attempts:
                await self._store.cancel(self._reservation)
            # A backend was called but reported no usage: keep the reservation (conservative).
        finally:
            if self._slot is not None:
                await self._store.release(self._slot)


def _limits(scope: Scope, configured: Mapping[str, RateLimits]) -> dict[str, QuotaLimit]:
    return {
        subject: QuotaLimit(scope, subject, limits.tpm, limits.rpm)
        for subject, limits in configured.items()
        if limits.tpm is not None or limits.rpm is not None
    }
