"""PriorityPool: selection, failover, cool-downs and the errors it gives up with.

Driven by a ManualClock and scripted fake backends: no sockets, no sleeps.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator
from email.utils import formatdate

import pytest
from tests.exchanges import make_exchange as shared_exchange

from sluicegate.config.settings import RoutingSettings
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import (
    AllBackendsFailed,
    RateLimited,
    UpstreamConnectError,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamTimeout,
)
from sluicegate.core.exchange import Exchange
from sluicegate.core.reply import Reply
from sluicegate.routing.cooldown import MemoryCooldownStore
from sluicegate.routing.pool import PoolMember, PriorityPool

Step = int | tuple[int, dict[str, str]] | type[UpstreamError]


class FakeStream:
    def __init__(self) -> None:
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"data: {}\n\n"

    async def aclose(self) -> None:
        self.closed = True


class FakeBackend:
    """Answers with the scripted steps in order; the last step repeats."""

    def __init__(
        self,
        name: str,
        *steps: Step,
        clock: ManualClock | None = None,
        takes: float = 0.0,
        stream: bool = False,
    ) -> None:
        self._name = name
        self._steps = list(steps) or [200]
        self._clock = clock
        self._takes = takes
        self._stream = stream
        self.calls = 0
        self.closed = False
        self.streams: list[FakeStream] = []

    @property
    def name(self) -> str:
        return self._name

    async def send(self, exchange: Exchange) -> Reply:
        step = self._steps[min(self.calls, len(self._steps) - 1)]
        self.calls += 1
        if self._clock is not None and self._takes:
            self._clock.advance(self._takes)
        if isinstance(step, type):
            raise step(f"cannot reach https://{self._name}.example.com/?api-key=sk-SECRET")
        status, headers = step if isinstance(step, tuple) else (step, {})
        stream = None
        if self._stream:
            stream = FakeStream()
            self.streams.append(stream)
        return Reply(status, dict(headers), body=b'{"ok": true}', stream=stream)

    async def close(self) -> None:
        self.closed = True


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store() -> MemoryCooldownStore:
    return MemoryCooldownStore()


def make_pool(
    clock: ManualClock,
    store: MemoryCooldownStore,
    *members: PoolMember,
    seed: int = 7,
    **settings: float,
) -> PriorityPool:
    return PriorityPool(
        "main", members, RoutingSettings(**settings), clock, store, random.Random(seed)
    )


def make_exchange(clock: ManualClock, timeout: float = 600.0) -> Exchange:
    return shared_exchange(started_at=clock.now(), timeout=timeout)


async def send(pool: PriorityPool, clock: ManualClock, budget: float = 600.0) -> Reply:
    return await pool.send(make_exchange(clock, budget))


def cooling_for(store: MemoryCooldownStore, clock: ManualClock, name: str) -> float:
    return store.until(name) - clock.now()


# --- selection ----------------------------------------------------------------------------


async def test_lowest_priority_first(clock: ManualClock, store: MemoryCooldownStore) -> None:
    spill, ptu = FakeBackend("paygo"), FakeBackend("ptu")
    pool = make_pool(clock, store, PoolMember(spill, priority=2), PoolMember(ptu, priority=1))
    for _ in range(50):
        exchange = make_exchange(clock)
        reply = await pool.send(exchange)
        assert reply.status == 200
        assert exchange.served_by == "ptu"
    assert (ptu.calls, spill.calls) == (50, 0)


async def test_weighted_random_within_a_priority(
    clock: ManualClock, store: MemoryCooldownStore
) -> None:
    heavy, light, spill = FakeBackend("heavy"), FakeBackend("light"), FakeBackend("spill")
    pool = make_pool(
        clock,
        store,
        PoolMember(heavy, weight=3),
        PoolMember(light, weight=1),
        PoolMember(spill, priority=2, weight=100),
    )
    served: Counter[str | None] = Counter()
    for _ in range(10_000):
        exchange = make_exchange(clock)
        await pool.send(exchange)
        served[exchange.served_by] += 1
    assert served["spill"] == 0
    assert served["heavy"] / 10_000 == pytest.approx(0.75, abs=0.02)
    assert served["heavy"] + served["light"] == 10_000


async def test_same_seed_same_picks(clock: ManualClock, store: MemoryCooldownStore) -> None:
    async def picks(seed: int) -> list[str | None]:
        pool = make_pool(
            clock, store, PoolMember(FakeBackend("a")), PoolMember(FakeBackend("b")), seed=seed
        )
        result = []
        for _ in range(40):
            exchange = make_exchange(clock)
            await pool.send(exchange)
            result.append(exchange.served_by)
        return result

    first = await picks(3)
    assert first == await picks(3)
    assert set(first) == {"a", "b"}


# --- failover -----------------------------------------------------------------------------


async def test_failover_on_429(clock: ManualClock, store: MemoryCooldownStore) -> None:
    ptu = FakeBackend("ptu", (429, {"retry-after-ms": "3000"}))
    spill = FakeBackend("spill")
    pool = make_pool(clock, store, PoolMember(ptu), PoolMember(spill, priority=2))
    exchange = make_exchange(clock)
    reply = await pool.send(exchange)
    assert reply.status == 200
    assert exchange.served_by == "spill"
    assert [(a.backend, a.status, a.error) for a in exchange.attempts] == [("ptu", 429, None)]
    assert cooling_for(store, clock, "ptu") == pytest.approx(3.0)
    assert cooling_for(store, clock, "spill") <= 0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_failover_on_5xx(clock: ManualClock, store: MemoryCooldownStore, status: int) -> None:
    first, second = FakeBackend("first", status), FakeBackend("second")
    pool = make_pool(
        clock, store, PoolMember(first), PoolMember(second, priority=2), failure_cooldown_seconds=5
    )
    exchange = make_exchange(clock)
    assert (await pool.send(exchange)).status == 200
    assert [(a.backend, a.status) for a in exchange.attempts] == [("first", status)]
    assert cooling_for(store, clock, "first") == pytest.approx(5.0)


@pytest.mark.parametrize("error", [UpstreamConnectError, UpstreamTimeout, UpstreamProtocolError])
async def test_failover_on_raised_upstream_errors(
    clock: ManualClock, store: MemoryCooldownStore, error: type[UpstreamError]
) -> None:
    first, second = FakeBackend("first", error), FakeBackend("second")
    pool = make_pool(
        clock, store, PoolMember(first), PoolMember(second, priority=2), failure_cooldown_seconds=5
    )
    exchange = make_exchange(clock)
    assert (await pool.send(exchange)).status == 200
    assert exchange.served_by == "second"
    assert [(a.backend, a.status, a.error) for a in exchange.attempts] == [
        ("first", None, error.code)
    ]
    assert cooling_for(store, clock, "first") == pytest.approx(5.0)


@pytest.mark.parametrize("status", [400, 401, 404, 413, 422])
async def test_client_errors_pass_through(
    clock: ManualClock, store: MemoryCooldownStore, status: int
) -> None:
    first, second = FakeBackend("first", status), FakeBackend("second")
    pool = make_pool(clock, store, PoolMember(first), PoolMember(second, priority=2))
    exchange = make_exchange(clock)
    reply = await pool.send(exchange)
    assert reply.status == status
    assert reply.body == b'{"ok": true}'
    assert second.calls == 0
    assert exchange.attempts == []
    assert store.until("first") == 0.0


async def test_failed_streamed_reply_is_released(
    clock: ManualClock, store: MemoryCooldownStore
) -> None:
    first = FakeBackend("first", 500, stream=True)
    second = FakeBackend("second", stream=True)
    pool = make_pool(clock, store, PoolMember(first), PoolMember(second, priority=2))
    reply = await pool.send(make_exchange(clock))
    assert first.streams[0].closed
    assert reply.stream is second.streams[0]
    assert not second.streams[0].closed


async def test_each_member_tried_once_per_request(
    clock: ManualClock, store: MemoryCooldownStore
) -> None:
    backends = [FakeBackend(name, 500) for name in "abc"]
    pool = make_pool(clock, store, *(PoolMember(b) for b in backends), failure_cooldown_seconds=0)
    with pytest.raises(AllBackendsFailed):
        await send(pool, clock)
    assert [b.calls for b in backends] == [1, 1, 1]


# --- cool-down ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "2500"}, 2.5),
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": formatdate(1_700_000_030, usegmt=True)}, 30.0),
        ({"x-ratelimit-reset-requests": "6s", "x-ratelimit-reset-tokens": "1m0s"}, 60.0),
        ({}, 10.0),
    ],
)
async def test_cooldown_from_429_headers(
    clock: ManualClock, store: MemoryCooldownStore, headers: dict[str, str], seconds: float
) -> None:
    assert clock.wall() == 1_700_000_000.0
    pool = make_pool(
        clock, store, PoolMember(FakeBackend("a", (429, headers))), PoolMember(FakeBackend("b"))
    )
    exchange = make_exchange(clock)
    await pool.send(exchange)
    assert exchange.served_by == "b"
    assert cooling_for(store, clock, "a") == pytest.approx(seconds)


async def test_cooldown_capped_by_max(clock: ManualClock, store: MemoryCooldownStore) -> None:
    a = FakeBackend("a", (429, {"Retry-After": "9999"}))
    pool = make_pool(
        clock, store, PoolMember(a), PoolMember(FakeBackend("b")), max_cooldown_seconds=60
    )
    await send(pool, clock)
    assert cooling_for(store, clock, "a") == pytest.approx(60.0)


async def test_503_retry_after_sets_the_cooldown(
    clock: ManualClock, store: MemoryCooldownStore
) -> None:
    a = FakeBackend("a", (503, {"Retry-After": "20"}))
    b = FakeBackend("b", (503, {"x-ratelimit-reset-requests": "40s"}))
    pool = make_pool(
        clock,
        store,
        PoolMember(a),
        PoolMember(b, priority=2),
        PoolMember(FakeBackend("c"), priority=3),
        failure_cooldown_seconds=5,
    )
    await send(pool, clock)
    assert cooling_for(store, clock, "a") == pytest.approx(20.0)
    assert cooling_for(store, clock, "b") == pytest.approx(5.0)


async def test_recovers_after_the_cooldown(clock: ManualClock, store: MemoryCooldownStore) -> None:
    ptu = FakeBackend("ptu", (429, {"Retry-After": "7"}), 200)
    spill = FakeBackend("spill")
    pool = make_pool(clock, store, PoolMember(ptu), PoolMember(spill, priority=2))
    first = make_exchange(clock)
    await pool.send(first)
    assert first.served_by == "spill"

    clock.advance(6.9)
    during = make_exchange(clock)
    await pool.send(during)
    assert during.served_by == "spill"
    assert ptu.calls == 1

    clock.advance(0.1)
    after = make_exchange(clock)
    await pool.send(after)
    assert after.served_by == "ptu"
    assert after.attempts == []


async def test_all_cooling_is_rate_limited_until_the_soonest_recovery(
    clock: ManualClock, store: MemoryCooldownStore
) -> None:
    a, b = FakeBackend("a"), FakeBackend("b")
    pool = make_pool(clock, store, PoolMember(a), PoolMember(b, priority=2))
    store.cool("a", clock.now() + 7.0)
    store.cool("b", clock.now() + 3.25)
    clock.advance(1.0)
    with pytest.raises(RateLimited) as caught:
        await send(pool, clock)
    assert caught.value.status == 429
    assert caught.value.retry_after_s == pytest.approx(2.25)
    assert caught.value.headers == {"Retry-After": "3", "retry-after-ms": "2250"}
    assert (a.calls, b.calls) == (0, 0)
    assert not pool.usable()


async def test_every_attempt_429_is_rate_limited_not_forwarded(
    clock: ManualClock, store: MemoryCooldownStore
) -> None:
    a = FakeBackend("a", (429, {"retry-after-ms": "4000"}))
    b = FakeBackend("b", (429, {"retry-after-ms": "1500"}))
    pool = make_pool(clock, store, PoolMember(a), PoolMember(b, priority=2))
    exchange = make_exchange(clock)
    with pytest.raises(RateLimited) as caught:
        await pool.send(exchange)
    assert caught.value.retry_after_s == pytest.approx(1.5)
    assert caught.value.headers == {"Retry-After": "2", "retry-after-ms": "1500"}
    assert [(x.backend, x.status) for x in exchange.attempts] == [("a", 429), ("b", 429)]


async def test_429_then_cooling_member_is_rate_limited(
    clock: ManualClock, store: MemoryCooldownStore
) -> None:
    a = FakeBackend("a", (429, {"Retry-After": "8"}))
    b = FakeBackend("b")
    store.cool("b", clock.now() + 4.0)
    pool = make_pool(clock, store, PoolMember(a), PoolMember(b))
    with pytest.raises(RateLimited) as caught:
        await send(pool, clock)
    assert caught.value.retry_after_s == pytest.approx(4.0)
    assert b.calls == 0


# --- bounds -------------------------------------------------------------------------------


async def test_attempts_are_bounded(clock: ManualClock, store: MemoryCooldownStore) -> None:
    backends = [FakeBackend(name, 500) for name in "abcd"]
    pool = make_pool(clock, store, *(PoolMember(b) for b in backends), max_attempts=2)
    exchange = make_exchange(clock)
    with pytest.raises(AllBackendsFailed) as caught:
        await pool.send(exchange)
    assert sum(b.calls for b in backends) == 2
    assert len(caught.value.attempts) == 2
    assert len(exchange.attempts) == 2


async def test_no_attempt_starts_past_the_deadline(
    clock: ManualClock, store: MemoryCooldownStore
) -> None:
    a = FakeBackend("a", 500, clock=clock, takes=10.0)
    b = FakeBackend("b", UpstreamConnectError, clock=clock, takes=10.0)
    c = FakeBackend("c")
    pool = make_pool(
        clock, store, PoolMember(a), PoolMember(b, priority=2), PoolMember(c, priority=3)
    )
    with pytest.raises(UpstreamTimeout) as caught:
        await send(pool, clock, budget=15.0)
    assert caught.value.status == 504
    assert c.calls == 0
    assert "a (500)" in caught.value.message
    assert "b (upstream_connect_error)" in caught.value.message


async def test_deadline_already_passed_tries_nothing(
    clock: ManualClock, store: MemoryCooldownStore
) -> None:
    a = FakeBackend("a")
    pool = make_pool(clock, store, PoolMember(a))
    with pytest.raises(UpstreamTimeout):
        await send(pool, clock, budget=0.0)
    assert a.calls == 0


# --- giving up ----------------------------------------------------------------------------


async def test_502_summary_has_names_and_statuses_only(
    clock: ManualClock, store: MemoryCooldownStore
) -> None:
    a = FakeBackend("a", 500, clock=clock, takes=0.25)
    b = FakeBackend("b", UpstreamConnectError, clock=clock, takes=0.5)
    pool = make_pool(clock, store, PoolMember(a), PoolMember(b, priority=2))
    with pytest.raises(AllBackendsFailed) as caught:
        await send(pool, clock)
    error = caught.value
    assert (error.status, error.code) == (502, "all_backends_failed")
    assert [x.as_dict() for x in error.attempts] == [
        {"backend": "a", "status": 500, "error": None, "duration_ms": 250.0},
        {"backend": "b", "status": None, "error": "upstream_connect_error", "duration_ms": 500.0},
    ]
    assert "a (500)" in error.message
    assert "b (upstream_connect_error)" in error.message
    assert "example.com" not in error.message
    assert "SECRET" not in error.message


async def test_429_and_5xx_mixed_is_502(clock: ManualClock, store: MemoryCooldownStore) -> None:
    pool = make_pool(
        clock, store, PoolMember(FakeBackend("a", 429)), PoolMember(FakeBackend("b", 500))
    )
    with pytest.raises(AllBackendsFailed):
        await send(pool, clock)


async def test_all_timed_out_is_504(clock: ManualClock, store: MemoryCooldownStore) -> None:
    pool = make_pool(
        clock,
        store,
        PoolMember(FakeBackend("a", UpstreamTimeout)),
        PoolMember(FakeBackend("b", UpstreamTimeout)),
    )
    with pytest.raises(UpstreamTimeout) as caught:
        await send(pool, clock)
    assert not isinstance(caught.value, AllBackendsFailed)
    assert caught.value.status == 504
    assert "SECRET" not in caught.value.message


# --- composite, state, lifecycle ----------------------------------------------------------


async def test_a_pool_can_be_a_member_of_a_pool(
    clock: ManualClock, store: MemoryCooldownStore
) -> None:
    inner_member = FakeBackend("inner-ptu", (429, {"Retry-After": "12"}))
    inner = make_pool(clock, store, PoolMember(inner_member))
    fallback = FakeBackend("fallback")
    outer = PriorityPool(
        "outer",
        [PoolMember(inner), PoolMember(fallback, priority=2)],
        RoutingSettings(),
        clock,
        store,
        random.Random(1),
    )
    exchange = make_exchange(clock)
    assert (await outer.send(exchange)).status == 200
    assert exchange.served_by == "fallback"
    assert [(x.backend, x.status) for x in exchange.attempts] == [
        ("inner-ptu", 429),
        ("main", 429),
    ]
    assert cooling_for(store, clock, "main") == pytest.approx(12.0)


async def test_state_and_usable(clock: ManualClock, store: MemoryCooldownStore) -> None:
    pool = make_pool(
        clock,
        store,
        PoolMember(FakeBackend("ptu"), kind="ptu", region="eastus"),
        PoolMember(FakeBackend("spill"), priority=2, weight=2.0, region="westus"),
    )
    store.cool("ptu", clock.now() + 5.0)
    clock.advance(2.0)
    assert pool.usable()
    assert [s.as_dict() for s in pool.state()] == [
        {
            "name": "ptu",
            "priority": 1,
            "weight": 1.0,
            "kind": "ptu",
            "region": "eastus",
            "cooling_for_s": 3.0,
        },
        {
            "name": "spill",
            "priority": 2,
            "weight": 2.0,
            "kind": "paygo",
            "region": "westus",
            "cooling_for_s": 0.0,
        },
    ]
    store.cool("spill", clock.now() + 1.0)
    assert not pool.usable()
    clock.advance(1.0)
    assert pool.usable()


async def test_close_closes_every_member(clock: ManualClock, store: MemoryCooldownStore) -> None:
    a, b = FakeBackend("a"), FakeBackend("b")
    pool = make_pool(clock, store, PoolMember(a), PoolMember(b))
    await pool.close()
    assert a.closed
    assert b.closed


def test_pool_name_and_repr(clock: ManualClock, store: MemoryCooldownStore) -> None:
    pool = make_pool(clock, store, PoolMember(FakeBackend("a")))
    assert pool.name == "main"
    assert repr(pool) == "PriorityPool('main', members=['a'])"


def test_pool_needs_members(clock: ManualClock, store: MemoryCooldownStore) -> None:
    with pytest.raises(ValueError, match="at least one member"):
        make_pool(clock, store)


def test_pool_refuses_repeated_members(clock: ManualClock, store: MemoryCooldownStore) -> None:
    with pytest.raises(ValueError, match="more than once: a"):
        make_pool(clock, store, PoolMember(FakeBackend("a")), PoolMember(FakeBackend("a")))


@pytest.mark.parametrize(("priority", "weight"), [(0, 1.0), (1, 0.0), (1, -1.0), (1, float("nan"))])
def test_member_checks_priority_and_weight(priority: int, weight: float) -> None:
    with pytest.raises(ValueError, match="member 'a'"):
        PoolMember(FakeBackend("a"), priority=priority, weight=weight)
