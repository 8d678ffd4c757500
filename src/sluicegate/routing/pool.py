"""A priority pool with spillover: PTU first, pay-as-you-go when it pushes back.

The pool is itself a Backend (a composite), so a fallback chain is just a pool whose
members sit at different priorities, and a pool may even be the member of another.

Selection follows the Azure smart load balancers: the lowest priority among the members not
cooling down and not yet tried for this request, a weighted random pick inside it; on a 429,
a 5xx, a connect error or a timeout the member cools down and the next candidate is tried at
once. A reply the pool returns is final: a streamed one is committed, so nothing past it is
ever retried.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

from sluicegate.config.settings import RoutingSettings
from sluicegate.core.clock import Clock
from sluicegate.core.cooldown import CooldownStore
from sluicegate.core.errors import AttemptSummary, RateLimited, UpstreamError
from sluicegate.core.exchange import Exchange
from sluicegate.core.reply import Reply
from sluicegate.routing.members import Kind, MemberState, PoolMember, Tier, tiers_by_priority
from sluicegate.routing.outcome import deadline_passed, exhausted
from sluicegate.routing.retry_after import cooldown_seconds

__all__ = ["Kind", "MemberState", "PoolMember", "PriorityPool"]


class PriorityPool:
    """Members grouped by priority; see the module docstring for the selection rules."""

    __slots__ = ("_clock", "_members", "_name", "_rng", "_settings", "_store", "_tiers")

    def __init__(
        self,
        name: str,
        members: Sequence[PoolMember],
        settings: RoutingSettings,
        clock: Clock,
        store: CooldownStore,
        rng: random.Random,
    ) -> None:
        if not members:
            raise ValueError(f"pool '{name}' needs at least one member")
        names = [member.name for member in members]
        repeated = sorted({member for member in names if names.count(member) > 1})
        if repeated:
            raise ValueError(f"pool '{name}' lists backends more than once: {', '.join(repeated)}")
        self._name = name
        self._members = tuple(members)
        self._tiers: tuple[Tier, ...] = tiers_by_priority(self._members)
        self._settings = settings
        self._clock = clock
        self._store = store
        self._rng = rng

    @property
    def name(self) -> str:
        return self._name

    @property
    def members(self) -> tuple[PoolMember, ...]:
        return self._members

    async def send(self, exchange: Exchange) -> Reply:
        """Answer from the best member that will; raise a GatewayError when none did."""
        tried: set[str] = set()
        attempts: list[AttemptSummary] = []
        max_attempts = self._settings.max_attempts
        while len(attempts) < max_attempts:
            now = self._clock.now()
            member = self._pick(tried, now)
            if member is None:
                break
            if now >= exchange.deadline:
                raise deadline_passed(self._name, attempts)
            tried.add(member.name)
            reply = await self._attempt(member, exchange, attempts)
            if reply is not None:
                exchange.served_by = reply.backend or member.name
                if member.priority > self._tiers[0].priority:
                    exchange.spilled_over = True
                return reply
        raise exhausted(self._name, attempts, self._soonest_recovery(self._clock.now()))

    def _pick(self, tried: set[str], now: float) -> PoolMember | None:
        store = self._store
        for tier in self._tiers:
            available = [
                member
                for member in tier.members
                if member.name not in tried and store.until(member.name) <= now
            ]
            if available:
                return tier.choose(available, self._rng)
        return None

    async def _attempt(
        self, member: PoolMember, exchange: Exchange, attempts: list[AttemptSummary]
    ) -> Reply | None:
        """One try; the reply to return, or None after recording a failure worth failing over."""
        started = self._clock.now()
        try:
            reply = await member.backend.send(exchange)
        except RateLimited as exc:
            # A nested pool that is rate limited as a whole: a 429 like any other.
            cooldown = min(exc.retry_after_s, self._settings.max_cooldown_seconds)
            self._fail(member, exchange, attempts, started, 429, exc.code, cooldown)
            return None
        except UpstreamError as exc:
            cooldown = self._settings.failure_cooldown_seconds
            self._fail(member, exchange, attempts, started, None, exc.code, cooldown)
            return None
        status = reply.status
        if status != 429 and status < 500:
            return reply
        await reply.release()
        self._fail(member, exchange, attempts, started, status, None, self._cooldown_for(reply))
        return None

    def _cooldown_for(self, reply: Reply) -> float:
        settings = self._settings
        if reply.status == 429:
            return cooldown_seconds(
                reply.headers,
                now_wall=self._clock.wall(),
                default=settings.default_cooldown_seconds,
                maximum=settings.max_cooldown_seconds,
            )
        if reply.status == 503:
            return cooldown_seconds(
                reply.headers,
                now_wall=self._clock.wall(),
                default=settings.failure_cooldown_seconds,
                maximum=settings.max_cooldown_seconds,
                use_reset_headers=False,
            )
        return settings.failure_cooldown_seconds

    def _fail(
        self,
        member: PoolMember,
        exchange: Exchange,
        attempts: list[AttemptSummary],
        started: float,
        status: int | None,
        error: str | None,
        cooldown: float,
    ) -> None:
        now = self._clock.now()
        summary = AttemptSummary(member.name, status, error, (now - started) * 1000.0)
        attempts.append(summary)
        exchange.attempts.append(summary)
        self._store.cool(member.name, now + max(cooldown, 0.0))

    def _soonest_recovery(self, now: float) -> float:
        soonest = min(self._store.until(member.name) for member in self._members)
        return max(soonest - now, 0.0)

    def usable(self) -> bool:
        """Whether at least one member is not cooling down (for `/readyz`)."""
        now = self._clock.now()
        return any(self._store.until(member.name) <= now for member in self._members)

    def state(self) -> tuple[MemberState, ...]:
        now = self._clock.now()
        return tuple(
            MemberState(
                name=member.name,
                priority=member.priority,
                weight=member.weight,
                kind=member.kind,
                region=member.region,
                cooling_for_s=max(self._store.until(member.name) - now, 0.0),
            )
            for member in self._members
        )

    async def close(self) -> None:
        """Close every member; all are closed even when one of them fails."""
        results = await asyncio.gather(
            *(member.backend.close() for member in self._members), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    def __repr__(self) -> str:
        return f"PriorityPool({self._name!r}, members={[m.name for m in self._members]!r})"
