"""Cost and budgets through the gateway: priced ledger records, refusals before overspending.

Budget counters run in process and in real Redis; the ledger is SQLite, and the clients are
the official `openai` SDK and aiohttp.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
from sqlalchemy import select
from tests.contract.redis_service import redis_service
from tests.e2e.support import MODEL, gateway_config, sim_deployment

from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.core.budget import Budget, BudgetPeriod, period_end
from sluicegate.core.clock import ManualClock
from sluicegate.core.identity import KeyRecord, Role, TeamRecord
from sluicegate.core.ledger import UsageRecord
from sluicegate.policies.api_keys import generate_key, hash_key
from sluicegate.server.app import Gateway, create_gateway
from sluicegate.server.runner import start_serving
from sluicegate.simulator.server import SimulatorServer
from sluicegate.stores.sql import SqlStores
from sluicegate.stores.sql.schema import usage_records

pytestmark = pytest.mark.e2e

INPUT_PER_1M = 1000.0  # USD: one prompt token costs $0.001
OUTPUT_PER_1M = 2000.0  # one completion token costs $0.002
PRICING = {"models": {MODEL: {"input_per_1m": INPUT_PER_1M, "output_per_1m": OUTPUT_PER_1M}}}
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC).timestamp()


@dataclass
class Running:
    url: str
    gateway: Gateway
    database_url: str
    stop: Callable[[], Awaitable[None]]
    stack: AsyncExitStack

    def client(self, key: str) -> openai.AsyncOpenAI:
        sdk = openai.AsyncOpenAI(base_url=f"{self.url}/v1", api_key=key, max_retries=0)
        self.stack.push_async_callback(sdk.close)
        return sdk


Start = Callable[..., Awaitable[Running]]


@pytest.fixture(params=["memory", "redis"])
async def start(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Start]:
    """Starts gateways on one SQLite ledger (and one Redis), each with its own simulator."""
    async with AsyncExitStack() as stack:
        quotas: dict[str, Any] = {}
        if request.param == "redis":
            service = await stack.enter_async_context(redis_service())
            quotas = {"redis_url": service.url, "redis_key_prefix": service.prefix}

        async def start_gateway(
            clock: ManualClock,
            *,
            backends: list[dict[str, Any]] | None = None,
            backend_settings: dict[str, Any] | None = None,
            config: dict[str, Any] | None = None,
        ) -> Running:
            deployments = backends or [sim_deployment("payg")]
            simulator = SimulatorServer(
                SimulatorConfig.model_validate({"port": 0, "deployments": deployments})
            )
            simulator_url = await simulator.start()
            stack.push_async_callback(simulator.stop)
            data = gateway_config(simulator_url, deployments).model_dump(mode="python")
            for backend in data["backends"]:
                backend.update(backend_settings or {})
            data["auth"] = {"enabled": True}
            data["ledger"] = {"enabled": True, "spool_dir": str(tmp_path / "spool")}
            data["database_url"] = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
            data["quotas"] = dict(quotas)
            data["pricing"] = PRICING
            for name, value in (config or {}).items():
                data[name] = {**data.get(name, {}), **value} if isinstance(value, dict) else value
            gateway = create_gateway(GatewayConfig.model_validate(data), clock=clock)
            serving = await start_serving(gateway.app, "127.0.0.1", 0, grace=0.5)
            stack.push_async_callback(serving.stop)
            running = Running(serving.url, gateway, data["database_url"], serving.stop, stack)
            async with aiohttp.ClientSession() as http, http.get(f"{serving.url}/healthz"):
                pass  # started: the stores are ready
            return running

        yield start_gateway


async def issue_key(gateway: Gateway, team: str = "search", budget: Budget | None = None) -> str:
    assert gateway.keys is not None
    key, key_id = generate_key()
    record = KeyRecord(key_id, hash_key(key), "app", team, Role.APP, budget=budget)
    await gateway.keys.add(record)
    return key


async def chat(sdk: openai.AsyncOpenAI, max_tokens: int = 20) -> Any:
    return await sdk.chat.completions.with_raw_response.create(
        model=MODEL, messages=[{"role": "user", "content": "price this"}], max_tokens=max_tokens
    )


async def ledger(database_url: str) -> list[UsageRecord]:
    """Every record of the ledger, read back through the store."""
    stores = SqlStores.create(database_url)
    try:
        async with stores.database.engine.connect() as conn:
            rows = (await conn.execute(select(usage_records.c.request_id))).all()
        found = [await stores.ledger.get(request_id) for (request_id,) in rows]
        return [record for record in found if record is not None]
    finally:
        await stores.close()


def list_price(record: UsageRecord) -> float:
    return (record.prompt_tokens * INPUT_PER_1M + record.completion_tokens * OUTPUT_PER_1M) / 1e6


async def spend_until_refused(sdk: openai.AsyncOpenAI, limit: int = 200) -> openai.RateLimitError:
    for _ in range(limit):
        try:
            await chat(sdk)
        except openai.RateLimitError as refusal:
            return refusal
    pytest.fail(f"{limit} requests went through without the budget refusing one")


async def test_a_key_budget_is_never_overspent_and_the_refusal_says_when_it_renews(
    start: Start,
) -> None:
    clock = ManualClock(wall_start=NOON)
    budget = Budget(0.5, BudgetPeriod.DAY)
    running = await start(clock)
    key = await issue_key(running.gateway, budget=budget)
    refusal = await spend_until_refused(running.client(key))

    body = refusal.response.json()["error"]
    assert refusal.status_code == 429
    assert (body["type"], body["code"]) == ("insufficient_quota", "budget_exceeded")
    assert "renews at 2026-11-26T00:00:00Z" in body["message"]
    assert refusal.response.headers["retry-after"] == str(12 * 3600)
    await running.stop()  # the ledger writer flushes on stop

    records = await ledger(running.database_url)
    spent = sum(record.cost for record in records)
    assert all(record.status == 200 for record in records)
    assert all(record.cost == pytest.approx(list_price(record)) for record in records)
    assert spent <= budget.amount_usd
    worst_case = 20 * OUTPUT_PER_1M / 1e6 + 0.05  # completion allowance + a generous prompt
    assert spent > budget.amount_usd - worst_case  # it admitted while a request could fit


async def test_concurrent_requests_cannot_overspend_together(start: Start) -> None:
    budget = Budget(0.25, BudgetPeriod.MONTH)  # room for about six requests at worst case
    running = await start(ManualClock(wall_start=NOON))
    key = await issue_key(running.gateway, budget=budget)
    sdk = running.client(key)
    outcomes = await asyncio.gather(*(chat(sdk) for _ in range(30)), return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, openai.RateLimitError)]
    admitted = [o for o in outcomes if not isinstance(o, BaseException)]
    assert refused
    assert len(admitted) >= 1
    assert len(refused) + len(admitted) == 30
    await running.stop()
    assert sum(record.cost for record in await ledger(running.database_url)) <= budget.amount_usd


async def test_a_restarted_gateway_remembers_what_the_period_spent(start: Start) -> None:
    clock = ManualClock(wall_start=NOON)
    budget = Budget(0.3, BudgetPeriod.DAY)
    first = await start(clock)
    key = await issue_key(first.gateway, budget=budget)
    await spend_until_refused(first.client(key))
    await first.stop()

    second = await start(clock)  # same ledger (and Redis); new process state
    with pytest.raises(openai.RateLimitError, match="does not cover this request"):
        await chat(second.client(key))

    midnight = period_end(BudgetPeriod.DAY, datetime.fromtimestamp(NOON, UTC)).timestamp()
    clock.advance(midnight - NOON + 1)
    reply = await chat(second.client(key))  # a new day: a new budget
    assert reply.http_response.status_code == 200


async def test_a_team_budget_from_config_binds_every_key_of_the_team(start: Start) -> None:
    clock = ManualClock(wall_start=NOON)
    team_budget = {"budget": {"amount_usd": 0.4, "period": "month", "alert_at": 0.5}}
    running = await start(clock, config={"quotas": {"teams": {"search": team_budget}}})
    keys = [await issue_key(running.gateway) for _ in range(2)]
    refusal = await spend_until_refused(running.client(keys[0]))
    assert "team 'search'" in refusal.response.json()["error"]["message"]
    with pytest.raises(openai.RateLimitError, match="team 'search'"):
        await chat(running.client(keys[1]))
    other_team = await issue_key(running.gateway, team="ads")
    assert (await chat(running.client(other_team))).http_response.status_code == 200


async def test_a_managed_team_budget_replaces_the_configured_one(start: Start) -> None:
    clock = ManualClock(wall_start=NOON)
    configured = {"budget": {"amount_usd": 0.0, "period": "day"}}  # would refuse everything
    running = await start(clock, config={"quotas": {"teams": {"search": configured}}})
    key = await issue_key(running.gateway)
    with pytest.raises(openai.RateLimitError, match="team 'search'"):
        await chat(running.client(key))

    stores = SqlStores.create(running.database_url)
    try:
        await stores.teams.put(TeamRecord("search", budget=Budget(100.0, BudgetPeriod.DAY)))
    finally:
        await stores.close()
    clock.advance(1.5)  # past the team cache's second
    reply = await chat(running.client(key))
    assert reply.http_response.status_code == 200
    remaining = float(reply.headers["x-sluicegate-budget-remaining-usd"])
    assert 99.9 < remaining < 100.0


async def test_a_request_that_can_never_fit_says_so(start: Start) -> None:
    running = await start(ManualClock(wall_start=NOON))
    key = await issue_key(running.gateway, budget=Budget(0.05, BudgetPeriod.WEEK))
    with pytest.raises(openai.RateLimitError, match="can never fit") as refused:
        await chat(running.client(key), max_tokens=1000)  # $2 worst case
    assert refused.value.response.headers["retry-after"]  # every 429 says when to retry
    reply = await chat(running.client(key), max_tokens=2)
    assert reply.http_response.status_code == 200


async def test_ptu_requests_are_billed_as_their_share_of_the_reserved_capacity(
    start: Start,
) -> None:
    running = await start(
        ManualClock(wall_start=NOON),
        backends=[sim_deployment("ptu", kind="ptu", capacity_tpm=60_000)],
        backend_settings={"ptu_units": 50, "tpm": 60_000},
        config={"pricing": {**PRICING, "ptu_unit_hour_usd": 2.0}},
    )
    key = await issue_key(running.gateway)
    for _ in range(3):
        await chat(running.client(key))
    await running.stop()
    records = await ledger(running.database_url)
    per_token = 50 * 2.0 / (60_000 * 60)  # $100 an hour buys 3.6M tokens
    assert len(records) == 3
    for record in records:
        assert record.billing == "ptu"
        assert record.cost == pytest.approx(record.total_tokens * per_token)
        assert record.cost < list_price(record)


async def test_prompt_versions_are_recorded_and_checked(start: Start) -> None:
    running = await start(ManualClock(wall_start=NOON))
    key = await issue_key(running.gateway)
    sdk = running.client(key)
    reply = await sdk.chat.completions.with_raw_response.create(
        model=MODEL,
        messages=[{"role": "user", "content": "hi"}],
        max_tokens=3,
        extra_headers={"x-sluicegate-prompt-version": "support-answer@v7"},
    )
    request_id = reply.headers["x-request-id"]
    with pytest.raises(openai.BadRequestError, match="x-sluicegate-prompt-version"):
        await sdk.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-sluicegate-prompt-version": "not a version!"},
        )
    await running.stop()
    (record,) = [r for r in await ledger(running.database_url) if r.request_id == request_id]
    assert record.prompt_version == "support-answer@v7"
    assert record.billing == "paygo"
