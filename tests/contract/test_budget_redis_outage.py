"""RedisBudgetStore while Redis is unreachable: fail-open admits offline, fail-closed answers
503, shadow mode never raises, and the store comes back once Redis does.

A closed port stands for a Redis that is gone; `tests/tcp_proxy.py` in front of the real test
Redis cuts and mends the link under a running store. A manual clock drives the probe interval.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from tests.contract.redis_service import RedisService, redis_service
from tests.tcp_proxy import TcpProxy

from sluicegate.core.budget import (
    Budget,
    BudgetCharge,
    BudgetLine,
    BudgetPeriod,
    BudgetRefusal,
    BudgetScope,
    BudgetStanding,
)
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import ServiceUnavailable
from sluicegate.core.quota import FailureMode
from sluicegate.stores.budget_redis import RedisBudgetStore
from sluicegate.stores.redis_calls import bounded_client

LOGGER = "sluicegate.stores.redis_calls"
USD = 1_000_000
KEY = BudgetLine(BudgetScope.KEY, "key-1", Budget(1.0, BudgetPeriod.DAY))
TEAM = BudgetLine(BudgetScope.TEAM, "search", Budget(5.0, BudgetPeriod.DAY))


def now() -> datetime:
    return datetime.now(UTC)


class CountingSource:
    """A `SpendSource` that records reads (none should happen while Redis is down)."""

    def __init__(self) -> None:
        self.calls = 0

    async def spent_since(self, scope: BudgetScope, subject: str, since: datetime) -> float:
        self.calls += 1
        return 0.0


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def offline_store(
    mode: FailureMode, clock: ManualClock, source: CountingSource
) -> RedisBudgetStore:
    return RedisBudgetStore.from_url(
        closed_port_url(), source, failure_mode=mode, clock=clock, timeout_s=0.5
    )


def assert_offline(
    result: tuple[BudgetCharge, list[BudgetStanding]] | BudgetRefusal,
    lines: tuple[BudgetLine, ...],
    micros: int,
) -> BudgetCharge:
    assert not isinstance(result, BudgetRefusal)
    charge, standings = result
    assert charge.offline
    assert (charge.lines, charge.micros) == (lines, micros)
    assert standings == []
    return charge


async def test_fail_open_admits_offline_and_settling_is_a_no_op(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    clock, source = ManualClock(), CountingSource()
    store = offline_store(FailureMode.OPEN, clock, source)
    started = time.monotonic()
    try:
        for _ in range(3):
            # Far past the budget: nothing is counted, so nothing is refused.
            charge = assert_offline(
                await store.charge((KEY, TEAM), 50 * USD, now()), (KEY, TEAM), 50 * USD
            )
            assert await store.settle(charge, 1 * USD) == []
        clock.advance(1.0)
        assert_offline(await store.charge((KEY,), 1, now()), (KEY,), 1)
        with pytest.raises(ServiceUnavailable):
            await store.spent(KEY, now())  # a report needs the number; there is none
    finally:
        await store.close()
    assert time.monotonic() - started < 3.0
    assert source.calls == 0
    outage = [record for record in caplog.records if "unreachable" in record.getMessage()]
    assert len(outage) == 1
    assert "budget store" in outage[0].getMessage()


async def test_fail_closed_refuses_with_503_unless_shadow(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    clock, source = ManualClock(), CountingSource()
    store = offline_store(FailureMode.CLOSED, clock, source)
    try:
        for _ in range(2):
            with pytest.raises(ServiceUnavailable) as caught:
                await store.charge((KEY, TEAM), 1, now())
            assert caught.value.status == 503
            assert "budget store is unreachable" in caught.value.message
        clock.advance(1.0)
        with pytest.raises(ServiceUnavailable):
            await store.charge((KEY,), 1, now())
        # Shadow mode never refuses, not even for an outage.
        for _ in range(2):
            charge = assert_offline(
                await store.charge((KEY,), 10 * USD, now(), enforce=False), (KEY,), 10 * USD
            )
            assert await store.settle(charge, 0) == []
            clock.advance(1.0)
    finally:
        await store.close()
    assert source.calls == 0
    assert sum("unreachable" in record.getMessage() for record in caplog.records) == 1


async def test_settling_an_online_charge_during_an_outage_never_raises() -> None:
    store = offline_store(FailureMode.CLOSED, ManualClock(), CountingSource())
    try:
        charge = BudgetCharge((KEY, TEAM), now(), 1 * USD)  # charged before Redis went away
        assert await store.settle(charge, 0) == []
        assert await store.settle(charge, 3 * USD) == []
    finally:
        await store.close()


async def test_a_redis_that_never_answers_costs_one_timeout() -> None:
    held: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    clock = ManualClock()
    stores = [
        RedisBudgetStore.from_url(
            f"redis://127.0.0.1:{port}/0", None, failure_mode=mode, clock=clock, timeout_s=0.2
        )
        for mode in (FailureMode.OPEN, FailureMode.CLOSED)
    ]
    try:
        started = time.monotonic()
        assert_offline(await stores[0].charge((KEY,), 1, now()), (KEY,), 1)
        with pytest.raises(ServiceUnavailable):
            await stores[1].charge((KEY,), 1, now())
        assert_offline(await stores[1].charge((KEY,), 1, now(), enforce=False), (KEY,), 1)
        elapsed = time.monotonic() - started
        assert elapsed < 1.5  # two timeouts of 0.2 s, the third call skipped Redis
    finally:
        for store in stores:
            await store.close()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


@pytest.fixture
async def service() -> AsyncIterator[RedisService]:
    async with redis_service() as found:
        yield found


@pytest.fixture
async def proxy(service: RedisService) -> AsyncIterator[TcpProxy]:
    client = service.client()
    kwargs = client.connection_pool.connection_kwargs
    await client.aclose()
    link = TcpProxy(str(kwargs.get("host", "127.0.0.1")), int(kwargs.get("port", 6379)))
    await link.start()
    try:
        yield link
    finally:
        await link.stop()


def through(
    proxy: TcpProxy, service: RedisService, mode: FailureMode, clock: ManualClock
) -> RedisBudgetStore:
    client: Redis = bounded_client(f"redis://127.0.0.1:{proxy.port}/0", 1.0)
    return RedisBudgetStore(
        client,
        None,
        prefix=service.prefix,
        failure_mode=mode,
        clock=clock,
        timeout_s=1.0,
        owns_client=True,
    )


async def test_counting_resumes_where_it_stopped_once_redis_is_back(
    service: RedisService, proxy: TcpProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    clock = ManualClock()
    store = through(proxy, service, FailureMode.OPEN, clock)
    try:
        at = now()
        before, standings = await_admitted(await store.charge((KEY,), 400_000, at))
        assert standings == [BudgetStanding(KEY, 400_000)]
        await proxy.refuse()
        assert_offline(await store.charge((KEY,), 900_000, at), (KEY,), 900_000)
        assert await store.settle(before, 100_000) == []  # lost: the reservation stays
        accepted = proxy.accepted
        assert_offline(await store.charge((KEY,), 1, at), (KEY,), 1)
        await proxy.restore()
        # Within the probe interval the store does not try Redis, even though it is back.
        assert_offline(await store.charge((KEY,), 1, at), (KEY,), 1)
        assert proxy.accepted == accepted
        clock.advance(1.0)
        refusal = await store.charge((KEY,), 700_000, at)
        assert isinstance(refusal, BudgetRefusal)
        assert refusal.spent_micros == 400_000  # the offline admissions were never counted
        _, standings = await_admitted(await store.charge((KEY,), 600_000, at))
        assert standings == [BudgetStanding(KEY, 1 * USD)]
    finally:
        await store.close()
    messages = [record.getMessage() for record in caplog.records]
    assert sum("unreachable" in message for message in messages) == 1
    assert sum("reachable again" in message for message in messages) == 1


async def test_fail_closed_recovers_too(service: RedisService, proxy: TcpProxy) -> None:
    clock = ManualClock()
    store = through(proxy, service, FailureMode.CLOSED, clock)
    try:
        await proxy.refuse()
        with pytest.raises(ServiceUnavailable):
            await store.charge((TEAM,), 1 * USD, now())
        await proxy.restore()
        clock.advance(1.0)
        _, standings = await_admitted(await store.charge((TEAM,), 1 * USD, now()))
        assert standings == [BudgetStanding(TEAM, 1 * USD)]
    finally:
        await store.close()


def await_admitted(
    result: tuple[BudgetCharge, list[BudgetStanding]] | BudgetRefusal,
) -> tuple[BudgetCharge, list[BudgetStanding]]:
    assert not isinstance(result, BudgetRefusal), result
    assert not result[0].offline
    return result
