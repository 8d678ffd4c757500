"""Spending budgets per key and team: refuse before the call what could exceed them.

Before the call the request's worst-case cost (every token it may use at the route's
pay-as-you-go price) is charged to each budget that applies, atomically in the budget store,
and the request is refused with 429 `insufficient_quota` if any budget would be exceeded: a
budget is never overrun and charged afterwards. When the reply has ended the charge is set to
the real cost, the same number the usage ledger records. Crossing a budget's alert share logs a
warning once per period and replica.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime

from sluicegate.core.budget import (
    MICROS,
    BudgetCharge,
    BudgetLine,
    BudgetRefusal,
    BudgetScope,
    BudgetStanding,
    BudgetStore,
    period_end,
    to_micros,
)
from sluicegate.core.clock import Clock
from sluicegate.core.errors import BudgetExceeded, GatewayError, ServiceUnavailable
from sluicegate.core.exchange import Exchange
from sluicegate.core.policy import Handler
from sluicegate.core.quota import FailureMode
from sluicegate.core.reply import Reply
from sluicegate.policies.estimate import token_estimate
from sluicegate.policies.pricing import Pricer

log = logging.getLogger("sluicegate.budget")

REMAINING_HEADER = "x-sluicegate-budget-remaining-usd"
_MAX_ALERTS_KEPT = 10_000


class BudgetPolicy:
    """Policy: admit within the caller's budgets, answer 429 past them, settle to real cost."""

    __slots__ = (
        "_alerted",
        "_clock",
        "_default_max_tokens",
        "_enforce",
        "_mode",
        "_pricer",
        "_store",
    )

    def __init__(
        self,
        store: BudgetStore,
        pricer: Pricer,
        clock: Clock,
        *,
        default_max_tokens: int,
        enforce: bool = True,
        failure_mode: FailureMode = FailureMode.OPEN,
    ) -> None:
        self._store = store
        self._pricer = pricer
        self._clock = clock
        self._default_max_tokens = default_max_tokens
        self._enforce = enforce
        self._mode = failure_mode
        self._alerted: set[str] = set()

    async def __call__(self, exchange: Exchange, call_next: Handler) -> Reply:
        lines = budget_lines(exchange)
        if not lines or self._pricer.price_of(exchange.route) is None:
            return await call_next(exchange)
        prompt, completion = token_estimate(exchange, self._default_max_tokens)
        worst = math.ceil(self._pricer.worst_case(exchange.route, prompt, completion) * MICROS)
        at = datetime.fromtimestamp(self._clock.wall(), UTC)
        charged = await self._charge(lines, worst, at)
        if isinstance(charged, BudgetRefusal):
            raise refusal_error(charged)
        charge, standings = charged
        for standing in standings:
            if standing.spent_micros > to_micros(standing.line.budget.amount_usd):
                log.warning(
                    "shadow mode: request %s would be refused: %s",
                    exchange.request_id,
                    refusal_error(
                        BudgetRefusal(standing.line, standing.spent_micros - worst, worst, at)
                    ).message,
                )
        exchange.on_finish(_Settle(self, charge))
        reply = await call_next(exchange)
        if standings:
            remaining = min(standing.remaining_usd for standing in standings)
            reply.headers[REMAINING_HEADER] = f"{remaining:.6f}"
        return reply

    async def _charge(
        self, lines: tuple[BudgetLine, ...], micros: int, at: datetime
    ) -> tuple[BudgetCharge, list[BudgetStanding]] | BudgetRefusal:
        try:
            return await self._store.charge(lines, micros, at, enforce=self._enforce)
        except GatewayError:
            raise
        except Exception as error:  # the ledger could not be read to start a counter
            log.error("budgets cannot be checked (%s)", type(error).__name__)
            if self._enforce and self._mode is FailureMode.CLOSED:
                raise ServiceUnavailable(
                    "Budgets cannot be checked right now; try again shortly."
                ) from None
            return BudgetCharge(lines, at, micros, offline=True), []

    async def settle(self, exchange: Exchange, charge: BudgetCharge) -> None:
        if exchange.usage is None and (exchange.served_by is not None or exchange.attempts):
            return  # a backend was called but reported no usage: keep the reservation
        actual = to_micros(self._pricer.cost(exchange))
        try:
            standings = await self._store.settle(charge, actual)
        except Exception as error:
            log.error("cannot settle request %s's budgets (%s)", exchange.request_id, error)
            return
        for standing in standings:
            self._alert(standing, charge.at)

    def _alert(self, standing: BudgetStanding, at: datetime) -> None:
        budget = standing.line.budget
        if standing.spent_micros < to_micros(budget.amount_usd * budget.alert_at):
            return
        counter = standing.line.counter(at)
        if counter in self._alerted:
            return
        if len(self._alerted) >= _MAX_ALERTS_KEPT:
            self._alerted.clear()
        self._alerted.add(counter)
        log.warning(
            "budget alert: %s has spent $%.4f of $%.2f this %s (%.0f%%; alert at %.0f%%)",
            standing.line.label,
            standing.spent_usd,
            budget.amount_usd,
            budget.period.value,
            100 * standing.spent_usd / budget.amount_usd if budget.amount_usd else 100.0,
            100 * budget.alert_at,
        )


class _Settle:
    """Finish hook: set the budgets' charge to the request's real cost."""

    __slots__ = ("_charge", "_policy")

    def __init__(self, policy: BudgetPolicy, charge: BudgetCharge) -> None:
        self._policy = policy
        self._charge = charge

    async def __call__(self, exchange: Exchange) -> None:
        await self._policy.settle(exchange, self._charge)


def budget_lines(exchange: Exchange) -> tuple[BudgetLine, ...]:
    """The budgets that apply: the key's own and its team's."""
    lines = []
    principal = exchange.principal
    if principal is not None and principal.budget is not None:
        lines.append(BudgetLine(BudgetScope.KEY, principal.subject, principal.budget))
    team = exchange.team
    if team is not None and team.budget is not None:
        lines.append(BudgetLine(BudgetScope.TEAM, team.name, team.budget))
    return tuple(lines)


def refusal_error(refusal: BudgetRefusal) -> BudgetExceeded:
    budget = refusal.line.budget
    resets = period_end(budget.period, refusal.at)
    spent = refusal.spent_micros / MICROS
    requested = refusal.requested_micros / MICROS
    head = (
        f"The budget of {refusal.line.label} does not cover this request: spent "
        f"${spent:.4f} of ${budget.amount_usd:.2f} this {budget.period.value}, and this request "
        f"may cost up to ${requested:.4f}."
    )
    if refusal.requested_micros > to_micros(budget.amount_usd):
        tail = " It can never fit: lower max_tokens or the prompt, or ask for a larger budget."
    else:
        tail = f" The budget renews at {resets:%Y-%m-%dT%H:%M:%SZ}; a smaller max_tokens may fit."
    return BudgetExceeded(head + tail, retry_after_s=(resets - refusal.at).total_seconds())
