"""One contract for every `BudgetStore`: the same cases against memory and a real Redis.

Redis runs against the test server under a unique key prefix; a second `RedisBudgetStore` on
its own connection pool stands for a second gateway replica.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.contract.redis_service import RedisService, count_keys, redis_service

from sluicegate.core.budget import (
    Budget,
    BudgetCharge,
    BudgetLine,
    BudgetPeriod,
    BudgetRefusal,
    BudgetScope,
    BudgetStanding,
    BudgetStore,
    period_end,
)
from sluicegate.stores.budget_memory import MemoryBudgetStore
from sluicegate.stores.budget_redis import KEEP_AFTER_PERIOD, RedisBudgetStore

DAY1_START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
"""Today: Redis expires a counter a day after its period, so the tests charge in the present."""
T0 = DAY1_START + timedelta(hours=12)
DAY2_START = DAY1_START + timedelta(days=1)
DAY2 = DAY2_START + timedelta(microseconds=1)
WEEK_START = DAY1_START - timedelta(days=DAY1_START.weekday())
MONTH_START = DAY1_START.replace(day=1)
USD = 1_000_000


def key_line(
    usd: float = 10.0, subject: str = "key-1", period: BudgetPeriod = BudgetPeriod.DAY
) -> BudgetLine:
    return BudgetLine(BudgetScope.KEY, subject, Budget(usd, period))


def team_line(
    usd: float = 10.0, subject: str = "search", period: BudgetPeriod = BudgetPeriod.DAY
) -> BudgetLine:
    return BudgetLine(BudgetScope.TEAM, subject, Budget(usd, period))


class LedgerSpend:
    """A `SpendSource`: what the ledger says each key or team has spent, and who asked.

    While `gate` is cleared reads wait on it (only those of the subjects in `held`, if set),
    so a test can hold a seed in flight."""

    def __init__(self, spent: dict[tuple[BudgetScope, str], float] | None = None) -> None:
        self.spent = dict(spent or {})
        self.calls: list[tuple[BudgetScope, str, datetime]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.held: set[str] | None = None
        self.asked = asyncio.Event()
        """Set once a read has started."""

    async def spent_since(self, scope: BudgetScope, subject: str, since: datetime) -> float:
        self.calls.append((scope, subject, since))
        self.asked.set()
        await asyncio.sleep(0)  # a real read always yields to the loop
        if self.held is None or subject in self.held:
            await self.gate.wait()
        return self.spent.get((scope, subject), 0.0)


StoreFactory = Callable[..., BudgetStore]


@dataclass
class Stores:
    """Makes stores of one kind; for Redis each is another replica on the same server."""

    kind: str
    make: StoreFactory
    redis: RedisService | None = None


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Stores]:
    made: list[BudgetStore] = []
    if request.param == "memory":

        def memory(source: LedgerSpend | None = None) -> BudgetStore:
            store = MemoryBudgetStore(source)
            made.append(store)
            return store

        yield Stores("memory", memory)
        return
    async with redis_service() as service:

        def replica(source: LedgerSpend | None = None) -> BudgetStore:
            store = RedisBudgetStore(
                service.client(), source, prefix=service.prefix, timeout_s=5.0, owns_client=True
            )
            made.append(store)
            return store

        try:
            yield Stores("redis", replica, service)
        finally:
            for store in made:
                await store.close()


@pytest.fixture
async def service() -> AsyncIterator[RedisService]:
    async with redis_service() as found:
        yield found


def admitted(
    result: tuple[BudgetCharge, list[BudgetStanding]] | BudgetRefusal,
) -> tuple[BudgetCharge, list[BudgetStanding]]:
    assert not isinstance(result, BudgetRefusal), result
    return result


def refused(result: tuple[BudgetCharge, list[BudgetStanding]] | BudgetRefusal) -> BudgetRefusal:
    assert isinstance(result, BudgetRefusal), result
    return result


def spent_of(standings: Iterable[BudgetStanding]) -> dict[str, int]:
    return {standing.line.subject: standing.spent_micros for standing in standings}


# --- charging --------------------------------------------------------------------------------


async def test_a_charge_within_budget_is_counted_on_every_line(stores: Stores) -> None:
    store = stores.make()
    key, team = key_line(10.0), team_line(20.0)
    charge, standings = admitted(await store.charge((key, team), 3 * USD, T0))
    assert charge == BudgetCharge((key, team), T0, 3 * USD)
    assert not charge.offline
    assert standings == [BudgetStanding(key, 3 * USD), BudgetStanding(team, 3 * USD)]
    _, standings = admitted(await store.charge((key, team), 2 * USD, T0))
    assert spent_of(standings) == {"key-1": 5 * USD, "search": 5 * USD}
    assert await store.spent(key, T0) == 5 * USD
    assert await store.spent(team, T0) == 5 * USD
    assert standings[0].remaining_usd == 5.0
    assert standings[1].remaining_usd == 15.0


async def test_lines_are_counted_apart(stores: Stores) -> None:
    store = stores.make()
    admitted(await store.charge((key_line(subject="a"),), 1 * USD, T0))
    admitted(await store.charge((key_line(subject="b"),), 2 * USD, T0))
    admitted(await store.charge((team_line(subject="a"),), 4 * USD, T0))
    assert await store.spent(key_line(subject="a"), T0) == 1 * USD
    assert await store.spent(key_line(subject="b"), T0) == 2 * USD
    assert await store.spent(team_line(subject="a"), T0) == 4 * USD
    month = key_line(subject="a", period=BudgetPeriod.MONTH)
    assert await store.spent(month, T0) == 0


async def test_a_refusal_charges_no_line(stores: Stores) -> None:
    store = stores.make()
    key, team = key_line(10.0), team_line(5.0)
    admitted(await store.charge((team,), 4 * USD, T0))
    refusal = refused(await store.charge((key, team), 2 * USD, T0))
    assert refusal == BudgetRefusal(team, 4 * USD, 2 * USD, T0)
    assert await store.spent(key, T0) == 0  # the key's budget had room: still not charged
    assert await store.spent(team, T0) == 4 * USD
    # The first line that cannot take the charge is named.
    refusal = refused(await store.charge((key, team), 11 * USD, T0))
    assert refusal.line == key
    assert refusal.spent_micros == 0
    assert await store.spent(key, T0) == 0
    assert await store.spent(team, T0) == 4 * USD


async def test_the_budget_is_reachable_exactly_and_not_a_micro_beyond(stores: Stores) -> None:
    store = stores.make()
    line = key_line(1.0)
    admitted(await store.charge((line,), 600_000, T0))
    refusal = refused(await store.charge((line,), 400_001, T0))
    assert (refusal.spent_micros, refusal.requested_micros) == (600_000, 400_001)
    _, standings = admitted(await store.charge((line,), 400_000, T0))
    assert standings == [BudgetStanding(line, 1 * USD)]
    assert standings[0].remaining_usd == 0.0
    refused(await store.charge((line,), 1, T0))
    _, standings = admitted(await store.charge((line,), 0, T0))  # free requests still pass
    assert standings == [BudgetStanding(line, 1 * USD)]


async def test_a_zero_budget_admits_only_free_requests(stores: Stores) -> None:
    store = stores.make()
    line = key_line(0.0)
    refused(await store.charge((line,), 1, T0))
    admitted(await store.charge((line,), 0, T0))


async def test_negative_charges_are_refused(stores: Stores) -> None:
    store = stores.make()
    with pytest.raises(ValueError, match="must not be negative"):
        await store.charge((key_line(),), -1, T0)


async def test_shadow_charges_pass_the_budget_and_are_counted(stores: Stores) -> None:
    store = stores.make()
    line = key_line(1.0)
    charge, standings = admitted(await store.charge((line,), 3 * USD, T0, enforce=False))
    assert not charge.offline
    assert standings == [BudgetStanding(line, 3 * USD)]  # over budget: the caller logs it
    assert standings[0].remaining_usd == 0.0
    admitted(await store.charge((line,), 1, T0, enforce=False))
    refusal = refused(await store.charge((line,), 1, T0))
    assert refusal.spent_micros == 3 * USD + 1


# --- settling --------------------------------------------------------------------------------


async def test_settling_lowers_or_raises_to_the_real_cost(stores: Stores) -> None:
    store = stores.make()
    key, team = key_line(10.0), team_line(10.0)
    first, _ = admitted(await store.charge((key, team), 5 * USD, T0))
    second, _ = admitted(await store.charge((key,), 1 * USD, T0))
    standings = await store.settle(first, 2 * USD)
    assert standings == [BudgetStanding(key, 3 * USD), BudgetStanding(team, 2 * USD)]
    standings = await store.settle(second, 4 * USD)  # the real cost may exceed the reservation
    assert standings == [BudgetStanding(key, 6 * USD)]
    assert await store.spent(key, T0) == 6 * USD
    assert await store.spent(team, T0) == 2 * USD
    # What was settled counts against later charges.
    refused(await store.charge((key,), 4 * USD + 1, T0))
    admitted(await store.charge((key,), 4 * USD, T0))


async def test_settling_above_the_budget_is_kept_and_refuses_what_follows(stores: Stores) -> None:
    store = stores.make()
    line = key_line(1.0)
    charge, _ = admitted(await store.charge((line,), 900_000, T0))
    assert await store.settle(charge, 1_300_000) == [BudgetStanding(line, 1_300_000)]
    refused(await store.charge((line,), 1, T0))


async def test_settling_never_takes_a_counter_below_zero(stores: Stores) -> None:
    store = stores.make()
    line = key_line(10.0)
    first, _ = admitted(await store.charge((line,), 500_000, T0))
    admitted(await store.charge((line,), 300_000, T0))
    assert await store.settle(first, 0) == [BudgetStanding(line, 300_000)]
    # Settled again (a repeated finish hook): the counter stops at zero, not -200_000.
    assert await store.settle(first, 0) == [BudgetStanding(line, 0)]
    assert await store.spent(line, T0) == 0
    admitted(await store.charge((line,), 10 * USD, T0))


async def test_a_negative_real_cost_counts_as_zero(stores: Stores) -> None:
    store = stores.make()
    line = key_line(10.0)
    charge, _ = admitted(await store.charge((line,), 500_000, T0))
    admitted(await store.charge((line,), 100_000, T0))
    assert await store.settle(charge, -1_000_000) == [BudgetStanding(line, 100_000)]


async def test_an_unchanged_cost_settles_to_the_same_spend(stores: Stores) -> None:
    store = stores.make()
    line = key_line(10.0)
    charge, _ = admitted(await store.charge((line,), 700_000, T0))
    assert await store.settle(charge, 700_000) == [BudgetStanding(line, 700_000)]


# --- seeding from the ledger -----------------------------------------------------------------


async def test_a_new_counter_starts_from_the_ledger_once(stores: Stores) -> None:
    source = LedgerSpend({(BudgetScope.KEY, "key-1"): 2.5, (BudgetScope.TEAM, "search"): 7.0})
    store = stores.make(source)
    key, team = key_line(10.0), team_line(10.0)
    _, standings = admitted(await store.charge((key, team), 1 * USD, T0))
    assert spent_of(standings) == {"key-1": 3_500_000, "search": 8 * USD}
    assert sorted(source.calls) == [
        (BudgetScope.KEY, "key-1", DAY1_START),
        (BudgetScope.TEAM, "search", DAY1_START),
    ]
    source.spent = {(BudgetScope.KEY, "key-1"): 100.0}  # the ledger moves on; counters lead
    admitted(await store.charge((key, team), 1 * USD, T0 + timedelta(hours=3)))
    assert await store.spent(key, T0) == 4_500_000
    assert await store.spent(team, T0) == 9 * USD
    assert len(source.calls) == 2


async def test_the_seed_counts_against_the_budget(stores: Stores) -> None:
    source = LedgerSpend({(BudgetScope.TEAM, "search"): 9.5})
    store = stores.make(source)
    team = team_line(10.0)
    refusal = refused(await store.charge((key_line(), team), 1 * USD, T0))
    assert refusal == BudgetRefusal(team, 9_500_000, 1 * USD, T0)
    admitted(await store.charge((team,), 500_000, T0))
    refused(await store.charge((team,), 1, T0))


async def test_spent_also_starts_a_counter_from_the_ledger(stores: Stores) -> None:
    source = LedgerSpend({(BudgetScope.KEY, "key-1"): 1.25})
    store = stores.make(source)
    assert await store.spent(key_line(), T0) == 1_250_000
    admitted(await store.charge((key_line(),), 1, T0))
    assert await store.spent(key_line(), T0) == 1_250_001
    assert len(source.calls) == 1


async def test_a_new_period_starts_from_the_ledger_again(stores: Stores) -> None:
    source = LedgerSpend({(BudgetScope.KEY, "key-1"): 2.0})
    store = stores.make(source)
    line = key_line(5.0)
    admitted(await store.charge((line,), 3 * USD, T0))
    refused(await store.charge((line,), 1, T0))
    source.spent = {(BudgetScope.KEY, "key-1"): 0.25}  # spent in the new day so far
    _, standings = admitted(await store.charge((line,), 1 * USD, DAY2))
    assert standings == [BudgetStanding(line, 1_250_000)]
    assert source.calls[-1] == (BudgetScope.KEY, "key-1", DAY2_START)
    assert len(source.calls) == 2


async def test_weekly_and_monthly_counters_seed_from_their_period_start(stores: Stores) -> None:
    source = LedgerSpend()
    store = stores.make(source)
    admitted(await store.charge((key_line(period=BudgetPeriod.WEEK),), 1, T0))
    admitted(await store.charge((team_line(period=BudgetPeriod.MONTH),), 1, T0))
    assert source.calls == [
        (BudgetScope.KEY, "key-1", WEEK_START),
        (BudgetScope.TEAM, "search", MONTH_START),
    ]
    assert WEEK_START.weekday() == 0


async def test_an_unreadable_ledger_fails_the_charge_and_is_read_again(stores: Stores) -> None:
    class Broken(LedgerSpend):
        failures = 1

        async def spent_since(self, scope: BudgetScope, subject: str, since: datetime) -> float:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("ledger down")
            return await super().spent_since(scope, subject, since)

    source = Broken({(BudgetScope.KEY, "key-1"): 1.0})
    store = stores.make(source)
    with pytest.raises(ConnectionError):
        await store.charge((key_line(),), 1 * USD, T0)
    _, standings = admitted(await store.charge((key_line(),), 1 * USD, T0))
    assert standings[0].spent_micros == 2 * USD


async def test_concurrent_first_charges_count_one_seed(stores: Stores) -> None:
    source = LedgerSpend({(BudgetScope.TEAM, "search"): 3.0})
    store = stores.make(source)
    source.gate.clear()
    line = team_line(100.0)
    tasks = [asyncio.create_task(store.charge((line,), 1 * USD, T0)) for _ in range(10)]
    for _ in range(20):
        await asyncio.sleep(0)
    source.gate.set()
    results = await asyncio.gather(*tasks)
    spents = sorted(admitted(result)[1][0].spent_micros for result in results)
    assert spents == [(3 + n) * USD for n in range(1, 11)]
    assert await store.spent(line, T0) == 13 * USD
    if stores.kind == "memory":
        assert len(source.calls) == 1  # concurrent first uses share one read


# --- concurrency -----------------------------------------------------------------------------


async def _hammer(stores_: list[BudgetStore], line: BudgetLine, count: int) -> list[bool]:
    tasks = [stores_[index % len(stores_)].charge((line,), 1 * USD, T0) for index in range(count)]
    return [not isinstance(result, BudgetRefusal) for result in await asyncio.gather(*tasks)]


async def test_fifty_concurrent_charges_admit_exactly_what_fits(stores: Stores) -> None:
    store = stores.make(LedgerSpend())
    line = team_line(20.0)
    outcomes = await _hammer([store], line, 50)
    assert sum(outcomes) == 20
    assert await store.spent(line, T0) == 20 * USD


async def test_fifty_concurrent_two_line_charges_stay_within_both(stores: Stores) -> None:
    store = stores.make(LedgerSpend())
    key, team = key_line(30.0), team_line(20.0)
    results = await asyncio.gather(*(store.charge((key, team), 1 * USD, T0) for _ in range(50)))
    refusals = [result for result in results if isinstance(result, BudgetRefusal)]
    assert len(refusals) == 30
    assert {refusal.line for refusal in refusals} == {team}
    assert await store.spent(key, T0) == 20 * USD
    assert await store.spent(team, T0) == 20 * USD


# --- memory only -----------------------------------------------------------------------------


async def test_a_charge_straddling_a_new_period_of_another_line_is_not_lost() -> None:
    """Request A (day 1) waits on its key's seed while request B opens the team's day 2: A's
    day-1 team counter must still be there (or read again) when A charges."""
    source = LedgerSpend()
    store = MemoryBudgetStore(source)
    key, team = key_line(10.0), team_line(10.0)
    late = DAY2_START - timedelta(microseconds=1)
    admitted(await store.charge((team,), 1 * USD, late))
    source.held = {"key-1"}
    source.gate.clear()
    first = asyncio.create_task(store.charge((team, key), 1 * USD, late))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not first.done()  # waiting on the key's seed
    admitted(await store.charge((team,), 2 * USD, DAY2))
    source.gate.set()
    _, standings = admitted(await first)
    assert spent_of(standings) == {"search": 1 * USD, "key-1": 1 * USD}
    assert await store.spent(team, DAY2) == 2 * USD


async def test_a_cancelled_seed_read_does_not_fail_the_requests_waiting_on_it() -> None:
    """A client that disconnects during the first read of a counter cancels that read; the
    other requests waiting for it read the ledger themselves."""
    source = LedgerSpend({(BudgetScope.KEY, "key-1"): 1.0})
    store = MemoryBudgetStore(source)
    source.gate.clear()
    leader = asyncio.create_task(store.charge((key_line(),), 1 * USD, T0))
    for _ in range(5):
        await asyncio.sleep(0)
    follower = asyncio.create_task(store.charge((key_line(),), 1 * USD, T0))
    for _ in range(5):
        await asyncio.sleep(0)
    leader.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
    source.gate.set()
    _, standings = admitted(await follower)
    assert standings[0].spent_micros == 2 * USD
    assert leader.cancelled()
    assert len(source.calls) == 2


async def test_a_failed_seed_read_fails_the_requests_waiting_on_it_too() -> None:
    class Failing(LedgerSpend):
        async def spent_since(self, scope: BudgetScope, subject: str, since: datetime) -> float:
            await super().spent_since(scope, subject, since)
            raise ConnectionError("ledger down")

    source = Failing()
    store = MemoryBudgetStore(source)
    source.gate.clear()
    tasks = [asyncio.create_task(store.charge((key_line(),), 1, T0)) for _ in range(3)]
    for _ in range(5):
        await asyncio.sleep(0)
    source.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(result, ConnectionError) for result in results)
    assert len(source.calls) == 1


async def test_memory_forgets_earlier_periods_of_a_line_only() -> None:
    store = MemoryBudgetStore()
    admitted(await store.charge((key_line(subject="a"),), 1 * USD, T0))
    admitted(await store.charge((key_line(subject="a:day:1"),), 2 * USD, T0))
    admitted(await store.charge((key_line(subject="a"),), 3 * USD, DAY2))
    # Another subject whose name happens to extend this one's keeps its spend.
    assert await store.spent(key_line(subject="a:day:1"), T0) == 2 * USD
    assert await store.spent(key_line(subject="a"), DAY2) == 3 * USD
    assert "counters=" in repr(store)


async def test_settling_a_forgotten_period_changes_nothing() -> None:
    store = MemoryBudgetStore()
    line = key_line()
    charge, _ = admitted(await store.charge((line,), 1 * USD, T0))
    admitted(await store.charge((line,), 2 * USD, DAY2))
    assert await store.settle(charge, 0) == []
    assert await store.spent(line, DAY2) == 2 * USD


async def test_memory_concurrent_first_charges_with_a_slow_ledger_admit_exactly_what_fits() -> None:
    source = LedgerSpend({(BudgetScope.TEAM, "search"): 5.0})
    store = MemoryBudgetStore(source)
    source.gate.clear()
    task = asyncio.create_task(_hammer([store], team_line(25.0), 50))
    for _ in range(10):
        await asyncio.sleep(0)
    source.gate.set()
    assert sum(await task) == 20
    assert len(source.calls) == 1


@dataclass
class Op:
    kind: str
    amount: int
    lines: tuple[int, ...]
    enforce: bool
    pick: int


op_lists = st.lists(
    st.one_of(
        st.builds(
            Op,
            kind=st.just("charge"),
            amount=st.integers(0, 1_200),
            lines=st.sampled_from([(0,), (1,), (0, 1), (1, 0)]),
            enforce=st.booleans() | st.just(True),
            pick=st.just(0),
        ),
        st.builds(
            Op,
            kind=st.just("settle"),
            amount=st.integers(-100, 1_600),
            lines=st.just(()),
            enforce=st.just(True),
            pick=st.integers(0, 1_000),
        ),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(ops=op_lists, seeds=st.tuples(st.integers(0, 1_600), st.integers(0, 1_600)))
def test_memory_arithmetic_never_goes_negative_nor_admits_past_a_budget(
    ops: list[Op], seeds: tuple[int, int]
) -> None:
    """Any sequence of charges and settles: counters match a plain model, stay >= 0, and an
    enforced charge is admitted exactly when every line has room for it."""
    budgets = (1_000, 1_500)  # micro-dollars
    lines = (
        BudgetLine(BudgetScope.KEY, "k", Budget(budgets[0] / USD, BudgetPeriod.DAY)),
        BudgetLine(BudgetScope.TEAM, "t", Budget(budgets[1] / USD, BudgetPeriod.DAY)),
    )
    source = LedgerSpend(
        {(line.scope, line.subject): seed / USD for line, seed in zip(lines, seeds, strict=True)}
    )

    async def scenario() -> None:
        store = MemoryBudgetStore(source)
        model = list(seeds)
        charges: list[tuple[BudgetCharge, tuple[int, ...]]] = []

        async def check() -> None:
            for i, line in enumerate(lines):
                spent = await store.spent(line, T0)
                assert spent >= 0
                assert spent == model[i]

        await check()
        for op in ops:
            if op.kind == "charge":
                chosen = tuple(lines[i] for i in op.lines)
                result = await store.charge(chosen, op.amount, T0, enforce=op.enforce)
                fits = all(model[i] + op.amount <= budgets[i] for i in op.lines)
                if isinstance(result, BudgetRefusal):
                    assert op.enforce
                    assert not fits
                    first = next(i for i in op.lines if model[i] + op.amount > budgets[i])
                    assert result.line == lines[first]
                    assert result.spent_micros == model[first]
                    continue
                assert fits or not op.enforce
                for i in op.lines:
                    model[i] += op.amount
                charge, standings = result
                assert [s.spent_micros for s in standings] == [model[i] for i in op.lines]
                if op.enforce:
                    assert all(model[i] <= budgets[i] for i in op.lines)
                charges.append((charge, op.lines))
            elif charges:
                charge, indexes = charges[op.pick % len(charges)]
                standings = await store.settle(charge, op.amount)
                for i in indexes:
                    model[i] = max(0, model[i] + max(0, op.amount) - charge.micros)
                assert [s.spent_micros for s in standings] == [model[i] for i in indexes]
            await check()
        assert len(source.calls) == 2

    asyncio.run(scenario())


# --- Redis only ------------------------------------------------------------------------------


def replica(service: RedisService, source: LedgerSpend | None = None) -> RedisBudgetStore:
    return RedisBudgetStore(
        service.client(), source, prefix=service.prefix, timeout_s=5.0, owns_client=True
    )


async def test_replicas_share_one_counter(service: RedisService) -> None:
    first, second = replica(service), replica(service)
    try:
        line = key_line(3.0)
        admitted(await first.charge((line,), 2 * USD, T0))
        refusal = refused(await second.charge((line,), 2 * USD, T0))
        assert refusal.spent_micros == 2 * USD
        charge, _ = admitted(await second.charge((line,), 1 * USD, T0))
        assert await first.settle(charge, 0) == [BudgetStanding(line, 2 * USD)]
    finally:
        await first.close()
        await second.close()


async def test_fifty_charges_on_two_replicas_admit_exactly_what_fits(service: RedisService) -> None:
    first, second = replica(service, LedgerSpend()), replica(service, LedgerSpend())
    try:
        line = team_line(20.0)
        outcomes = await _hammer([first, second], line, 50)
        assert sum(outcomes) == 20
        assert await first.spent(line, T0) == 20 * USD
    finally:
        await first.close()
        await second.close()


async def test_only_the_first_replicas_seed_is_kept(service: RedisService) -> None:
    """Replica B reads the ledger first but is slow; replica A seeds and charges meanwhile.
    B's late seed must not replace A's counter (and with it A's charge)."""
    slow = LedgerSpend({(BudgetScope.TEAM, "search"): 2.0})
    quick = LedgerSpend({(BudgetScope.TEAM, "search"): 1.0})
    a, b = replica(service, quick), replica(service, slow)
    try:
        line = team_line(10.0)
        slow.gate.clear()
        late = asyncio.create_task(b.charge((line,), 1 * USD, T0))
        await slow.asked.wait()
        _, standings = admitted(await a.charge((line,), 1 * USD, T0))
        assert standings == [BudgetStanding(line, 2 * USD)]
        slow.gate.set()
        _, standings = admitted(await late)
        assert standings == [BudgetStanding(line, 3 * USD)]
        assert await b.spent(line, T0) == 3 * USD
    finally:
        await a.close()
        await b.close()


async def test_a_counter_lives_until_a_day_after_its_period(service: RedisService) -> None:
    store = replica(service)
    client = service.client()
    try:
        admitted(await store.charge((key_line(period=BudgetPeriod.MONTH), team_line()), 1, T0))
        keys = sorted([key async for key in client.scan_iter(match=f"{{{service.prefix}}}*")])
        assert [key.decode() for key in keys] == [
            f"{{{service.prefix}}}:b:key:key-1:month:{MONTH_START:%Y%m%d}",
            f"{{{service.prefix}}}:b:team:search:day:{DAY1_START:%Y%m%d}",
        ]
        month_left = period_end(BudgetPeriod.MONTH, T0) + KEEP_AFTER_PERIOD - T0
        day_left = period_end(BudgetPeriod.DAY, T0) + KEEP_AFTER_PERIOD - T0
        assert_lifetime(await client.pttl(keys[0]), month_left)
        assert_lifetime(await client.pttl(keys[1]), day_left)
        charge, _ = admitted(await store.charge((team_line(),), 5, T0))
        await store.settle(charge, 0)  # settling keeps the expiry
        assert_lifetime(await client.pttl(keys[1]), day_left)
    finally:
        await client.aclose()
        await store.close()
    assert await count_keys(service) == 2


def assert_lifetime(pttl_ms: int, expected: timedelta) -> None:
    """The counter expires `expected` after it was set (a minute's slack for a slow run)."""
    assert expected - timedelta(minutes=1) < timedelta(milliseconds=pttl_ms) <= expected


async def test_a_gateway_clock_behind_redis_still_counts(service: RedisService) -> None:
    """The expiry is relative: a period that ended long ago on Redis's clock is still counted
    for a gateway whose clock says it is now (a skewed host, or a test's manual clock)."""
    store = replica(service)
    long_ago = T0 - timedelta(days=40)
    try:
        line = key_line(3.0)
        admitted(await store.charge((line,), 2 * USD, long_ago))
        refusal = refused(await store.charge((line,), 2 * USD, long_ago))
        assert refusal.spent_micros == 2 * USD
        assert await store.spent(line, long_ago) == 2 * USD
    finally:
        await store.close()


async def test_a_counter_redis_lost_is_seeded_again_and_settles_clamp_at_zero(
    service: RedisService,
) -> None:
    source = LedgerSpend({(BudgetScope.KEY, "key-1"): 0.5})
    store = replica(service, source)
    client = service.client()
    try:
        line = key_line(10.0)
        reserved, _ = admitted(await store.charge((line,), 2 * USD, T0))
        assert await store.spent(line, T0) == 2_500_000
        await client.delete(f"{{{service.prefix}}}:b:{line.counter(T0)}")
        # The stale settle finds no counter and does not create one.
        assert await store.settle(reserved, 1 * USD) == []
        assert await client.exists(f"{{{service.prefix}}}:b:{line.counter(T0)}") == 0
        again, _ = admitted(await store.charge((line,), 100_000, T0))
        assert await store.spent(line, T0) == 600_000  # the ledger's 0.5 + the new charge
        assert len(source.calls) == 2
        # Settling more away than the counter holds stops at zero.
        assert await store.settle(reserved, 0) == [BudgetStanding(line, 0)]
        assert await store.settle(again, 0) == [BudgetStanding(line, 0)]
    finally:
        await client.aclose()
        await store.close()


async def test_the_key_prefix_separates_gateways(service: RedisService) -> None:
    ours = replica(service)
    theirs = RedisBudgetStore(
        service.client(), None, prefix=f"{service.prefix}-other", owns_client=True
    )
    try:
        admitted(await ours.charge((key_line(1.0),), 1 * USD, T0))
        admitted(await theirs.charge((key_line(1.0),), 1 * USD, T0))
    finally:
        await ours.close()
        client = service.client()
        try:
            await client.delete(f"{{{service.prefix}-other}}:b:{key_line().counter(T0)}")
        finally:
            await client.aclose()
        await theirs.close()


@pytest.mark.parametrize("prefix", ["", "a{b", "a}b"])
def test_prefixes_that_break_hash_tags_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        RedisBudgetStore(None, None, prefix=prefix)  # type: ignore[arg-type]
