"""The budget policy on its own: worst-case charge, shadow mode, store failures, alerts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from tests.exchanges import make_exchange

from sluicegate.config.pricing import PricingSettings
from sluicegate.config.settings import BackendSettings
from sluicegate.core.budget import Budget, BudgetLine, BudgetPeriod, BudgetScope
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import BudgetExceeded, ServiceUnavailable
from sluicegate.core.exchange import Exchange, Usage
from sluicegate.core.identity import Principal, Role, TeamRecord
from sluicegate.core.policy import build_chain
from sluicegate.core.quota import FailureMode
from sluicegate.core.reply import Reply
from sluicegate.policies.budget import REMAINING_HEADER, BudgetPolicy
from sluicegate.policies.pricing import Pricer
from sluicegate.stores.budget_memory import MemoryBudgetStore

PRICES = {"gpt-4o": {"input_per_1m": 1000.0, "output_per_1m": 2000.0}}
BACKEND = BackendSettings(name="payg", url="http://127.0.0.1:9")
CLOCK_WALL = ManualClock().wall()


class Served:
    """The backend: reports `completion` tokens of usage for each request."""

    def __init__(self, completion: int) -> None:
        self.completion = completion
        self.calls = 0

    async def __call__(self, exchange: Exchange) -> Reply:
        self.calls += 1
        exchange.served_by = "payg"
        exchange.usage = Usage(10, self.completion, 10 + self.completion)
        return Reply(200, body=b"{}")


class BrokenLedger:
    async def spent_since(self, scope: BudgetScope, subject: str, since: datetime) -> float:
        raise OSError("the database is down")


def policy(store: MemoryBudgetStore | None = None, **options: object) -> BudgetPolicy:
    pricer = Pricer(PricingSettings.model_validate({"models": PRICES}), [BACKEND])
    return BudgetPolicy(
        store or MemoryBudgetStore(),
        pricer,
        ManualClock(),
        default_max_tokens=100,
        **options,  # type: ignore[arg-type]
    )


def request(budget: Budget | None = None, team: TeamRecord | None = None) -> Exchange:
    principal = Principal("key-1", "search", Role.APP, budget=budget)
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 50}
    return make_exchange(body=body, principal=principal, team=team, route="gpt-4o")


async def run(budget_policy: BudgetPolicy, exchange: Exchange, backend: Served) -> Reply:
    try:
        return await build_chain([budget_policy], backend)(exchange)
    finally:
        await exchange.finish()


async def test_the_worst_case_is_reserved_then_settled_to_the_real_cost() -> None:
    store = MemoryBudgetStore()
    budget = Budget(1.0, BudgetPeriod.DAY)
    reply = await run(policy(store), request(budget), Served(completion=5))
    assert reply.status == 200
    remaining_after_reserve = float(reply.headers[REMAINING_HEADER])
    assert remaining_after_reserve < 1.0 - 50 * 0.002  # max_tokens 50 at $0.002 was reserved
    line = BudgetLine(BudgetScope.KEY, "key-1", budget)
    spent = await store.spent(line, datetime.fromtimestamp(CLOCK_WALL, UTC))
    assert spent == 10 * 1000 + 5 * 2000  # micro-dollars: 10 prompt and 5 completion tokens


async def test_without_a_budget_or_a_price_nothing_is_charged() -> None:
    backend = Served(completion=5)
    reply = await run(policy(), request(), backend)
    assert reply.status == 200
    assert REMAINING_HEADER not in reply.headers
    unpriced = request(Budget(0.0, BudgetPeriod.DAY))
    unpriced.route = "unpriced-model"  # a budget cannot limit what has no price
    assert (await run(policy(), unpriced, backend)).status == 200
    assert backend.calls == 2


async def test_shadow_mode_lets_an_overspend_through_and_logs_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = Served(completion=5)
    with caplog.at_level(logging.WARNING, "sluicegate.budget"):
        reply = await run(policy(enforce=False), request(Budget(0.0, BudgetPeriod.DAY)), backend)
    assert reply.status == 200
    assert backend.calls == 1
    assert "shadow mode" in caplog.text


async def test_enforced_refusal_never_reaches_the_backend() -> None:
    backend = Served(completion=5)
    with pytest.raises(BudgetExceeded, match="team 'search'"):
        await run(
            policy(),
            request(team=TeamRecord("search", budget=Budget(0.0, BudgetPeriod.DAY))),
            backend,
        )
    assert backend.calls == 0


async def test_an_unreadable_ledger_follows_the_failure_mode() -> None:
    budget = Budget(1.0, BudgetPeriod.DAY)
    backend = Served(completion=5)
    closed = policy(MemoryBudgetStore(BrokenLedger()), failure_mode=FailureMode.CLOSED)
    with pytest.raises(ServiceUnavailable):
        await run(closed, request(budget), backend)
    assert backend.calls == 0
    opened = policy(MemoryBudgetStore(BrokenLedger()), failure_mode=FailureMode.OPEN)
    assert (await run(opened, request(budget), backend)).status == 200


async def test_the_alert_is_logged_once_per_period(caplog: pytest.LogCaptureFixture) -> None:
    budget = Budget(0.5, BudgetPeriod.DAY, alert_at=0.1)  # each request costs $0.02
    shared = policy(MemoryBudgetStore())
    with caplog.at_level(logging.WARNING, "sluicegate.budget"):
        for _ in range(5):
            await run(shared, request(budget), Served(completion=5))
    alerts = [r for r in caplog.records if "budget alert" in r.getMessage()]
    assert len(alerts) == 1
    assert "key 'key-1'" in alerts[0].getMessage()
