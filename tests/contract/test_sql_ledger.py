"""SqlLedgerStore: idempotent batched writes and chargeback sums, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from tests.records import usage_record

from sluicegate.core.ledger import LedgerStore, UsageRecord, UsageTotals
from sluicegate.stores.sql import Database, SqlLedgerStore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def usage(request_id: str, minute: int, **fields: object) -> UsageRecord:
    return usage_record(request_id, T0 + timedelta(minutes=minute), **fields)


# Six requests; the totals below are worked out by hand from this table.
#   id  min  key    team    model        backend     billing  prompt  completion  cached  cost
#   r1   0   key-a  search  gpt-4o       ptu-east    ptu        100       50         0    0.50
#   r2   1   key-a  search  gpt-4o       paygo-west  paygo      200       20        10    1.25
#   r3   2   key-b  search  gpt-4o-mini  ptu-east    ptu         40        4         0    0.01
#   r4   3   key-c  ads     gpt-4o       paygo-west  paygo      300      100        50    2.00
#   r5   4   key-c  ads     gpt-4o-mini  (none)      (none)      10        0         0    0.00
#   r6  10   key-a  search  gpt-4o       ptu-east    ptu       1000      500         0    5.00
RECORDS = [
    usage("r1", 0, prompt_tokens=100, completion_tokens=50, cost=0.50, billing="ptu"),
    usage(
        "r2",
        1,
        backend="paygo-west",
        billing="paygo",
        prompt_tokens=200,
        completion_tokens=20,
        cached_tokens=10,
        cost=1.25,
        attempts=2,
    ),
    usage(
        "r3",
        2,
        subject="key-b",
        model="gpt-4o-mini",
        prompt_tokens=40,
        completion_tokens=4,
        cost=0.01,
        billing="ptu",
    ),
    usage(
        "r4",
        3,
        subject="key-c",
        team="ads",
        backend="paygo-west",
        billing="paygo",
        prompt_tokens=300,
        completion_tokens=100,
        cached_tokens=50,
        cost=2.00,
    ),
    usage(
        "r5",
        4,
        subject="key-c",
        team="ads",
        model="gpt-4o-mini",
        backend=None,
        prompt_tokens=10,
        status=502,
    ),
    usage("r6", 10, prompt_tokens=1000, completion_tokens=500, cost=5.00, billing="ptu"),
]


@pytest.fixture
async def ledger(sql_db: Database) -> SqlLedgerStore:
    store = SqlLedgerStore(sql_db)
    await store.write_batch(RECORDS)
    return store


def rows(totals: list[UsageTotals]) -> list[tuple[object, ...]]:
    return [
        (t.group, t.requests, t.prompt_tokens, t.completion_tokens, t.cached_tokens, t.cost)
        for t in totals
    ]


def test_implements_the_ledger_protocol(sql_db: Database) -> None:
    store: LedgerStore = SqlLedgerStore(sql_db)
    assert isinstance(store, SqlLedgerStore)


async def test_every_field_round_trips(ledger: SqlLedgerStore) -> None:
    full = usage(
        "full",
        7,
        deployment="gpt-4o-2024-08-06",
        attempts=3,
        prompt_tokens=12,
        completion_tokens=34,
        cached_tokens=5,
        cost=0.000123,
        latency_ms=812.5,
        ttft_ms=140.25,
        prompt_version="summarise@3",
        billing="ptu",
    )
    await ledger.write_batch([full])
    assert await ledger.get("full") == full
    assert await ledger.get("missing") is None
    assert await ledger.get("r5") == RECORDS[4]


async def test_replaying_a_batch_adds_nothing(ledger: SqlLedgerStore) -> None:
    assert await ledger.count() == 6
    await ledger.write_batch(RECORDS)
    await ledger.write_batch(RECORDS[2:4])
    assert await ledger.count() == 6
    assert rows(await ledger.aggregate("team")) == [
        ("ads", 2, 310, 100, 50, pytest.approx(2.00)),
        ("search", 4, 1340, 574, 10, pytest.approx(6.76)),
    ]


async def test_a_replayed_record_keeps_its_first_version(ledger: SqlLedgerStore) -> None:
    await ledger.write_batch([replace(RECORDS[0], cost=99.0), usage("r7", 5, prompt_tokens=1)])
    assert await ledger.count() == 7
    first = await ledger.get("r1")
    assert first is not None
    assert first.cost == 0.50


async def test_duplicates_inside_one_batch_are_stored_once(sql_db: Database) -> None:
    store = SqlLedgerStore(sql_db)
    await store.write_batch([RECORDS[0], RECORDS[0], RECORDS[1]])
    assert await store.count() == 2


async def test_an_empty_batch_is_a_no_op(sql_db: Database) -> None:
    store = SqlLedgerStore(sql_db)
    await store.write_batch([])
    assert await store.count() == 0
    assert await store.aggregate("team") == []


async def test_aggregate_by_team(ledger: SqlLedgerStore) -> None:
    assert rows(await ledger.aggregate("team")) == [
        ("ads", 2, 310, 100, 50, pytest.approx(2.00)),
        ("search", 4, 1340, 574, 10, pytest.approx(6.76)),
    ]


async def test_aggregate_by_key(ledger: SqlLedgerStore) -> None:
    assert rows(await ledger.aggregate("key")) == [
        ("key-a", 3, 1300, 570, 10, pytest.approx(6.75)),
        ("key-b", 1, 40, 4, 0, pytest.approx(0.01)),
        ("key-c", 2, 310, 100, 50, pytest.approx(2.00)),
    ]


async def test_aggregate_by_model(ledger: SqlLedgerStore) -> None:
    assert rows(await ledger.aggregate("model")) == [
        ("gpt-4o", 4, 1600, 670, 60, pytest.approx(8.75)),
        ("gpt-4o-mini", 2, 50, 4, 0, pytest.approx(0.01)),
    ]


async def test_aggregate_by_backend_puts_unserved_requests_last(ledger: SqlLedgerStore) -> None:
    totals = await ledger.aggregate("backend")
    assert rows(totals) == [
        ("paygo-west", 2, 500, 120, 60, pytest.approx(3.25)),
        ("ptu-east", 3, 1140, 554, 0, pytest.approx(5.51)),
        (None, 1, 10, 0, 0, pytest.approx(0.0)),
    ]
    assert totals[0].total_tokens == 620


async def test_time_range_includes_since_and_excludes_until(ledger: SqlLedgerStore) -> None:
    window = await ledger.aggregate("team", T0 + timedelta(minutes=1), T0 + timedelta(minutes=4))
    # r2 (minute 1, included), r3 (2), r4 (3); r5 at minute 4 is the excluded end.
    assert rows(window) == [
        ("ads", 1, 300, 100, 50, pytest.approx(2.00)),
        ("search", 2, 240, 24, 10, pytest.approx(1.26)),
    ]


async def test_open_ended_ranges(ledger: SqlLedgerStore) -> None:
    later = await ledger.aggregate("key", since=T0 + timedelta(minutes=5))
    assert rows(later) == [("key-a", 1, 1000, 500, 0, pytest.approx(5.00))]
    earlier = await ledger.aggregate("key", until=T0 + timedelta(minutes=1))
    assert rows(earlier) == [("key-a", 1, 100, 50, 0, pytest.approx(0.50))]
    assert await ledger.aggregate("key", since=T0 + timedelta(days=1)) == []


async def test_ptu_tokens_sum_the_records_billed_ptu(ledger: SqlLedgerStore) -> None:
    # r1 (150 tokens), r3 (44) and r6 (1500) were billed ptu; paygo and unknown billing are not.
    by_team = {t.group: t.ptu_tokens for t in await ledger.aggregate("team")}
    assert by_team == {"ads": 0, "search": 1694}
    by_backend = {t.group: t.ptu_tokens for t in await ledger.aggregate("backend")}
    assert by_backend == {"paygo-west": 0, "ptu-east": 1694, None: 0}
    by_model = {t.group: t.ptu_tokens for t in await ledger.aggregate("model")}
    assert by_model == {"gpt-4o": 1650, "gpt-4o-mini": 44}
    window = await ledger.aggregate("key", T0 + timedelta(minutes=1), T0 + timedelta(minutes=10))
    assert {t.group: t.ptu_tokens for t in window} == {"key-a": 0, "key-b": 44, "key-c": 0}


async def test_ptu_tokens_count_a_ptu_backend_only_while_it_was_billed_ptu(
    sql_db: Database,
) -> None:
    store = SqlLedgerStore(sql_db)
    await store.write_batch(
        [
            usage("old", 0, prompt_tokens=70, completion_tokens=7),  # recorded before billing
            usage("new", 1, prompt_tokens=30, completion_tokens=3, billing="ptu"),
        ]
    )
    (total,) = await store.aggregate("backend")
    assert (total.group, total.total_tokens, total.ptu_tokens) == ("ptu-east", 110, 33)


async def test_bad_arguments_are_refused(ledger: SqlLedgerStore) -> None:
    with pytest.raises(ValueError, match="cannot group usage by 'region'"):
        await ledger.aggregate("region")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        await ledger.aggregate("team", since=datetime(2025, 1, 1))


async def test_a_large_batch_is_written_in_one_call(sql_db: Database) -> None:
    store = SqlLedgerStore(sql_db)
    batch = [usage(f"bulk-{i}", i % 60, prompt_tokens=i, cost=0.001) for i in range(2500)]
    await store.write_batch(batch)
    await store.write_batch(batch[1000:1500])
    assert await store.count() == 2500
    (total,) = await store.aggregate("team")
    assert (total.requests, total.prompt_tokens) == (2500, sum(range(2500)))
    assert total.cost == pytest.approx(2.5)
