"""SqlLedgerStore.records: a time range read back in order, in batches, on SQLite and
PostgreSQL; the in-memory ledger of the unit tests answers the same."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from tests.fakes.ledger import MemoryLedger
from tests.records import usage_record

from sluicegate.core.capture import Capture
from sluicegate.core.ledger import LedgerStore, UsageRecord
from sluicegate.stores.sql import Database, SqlLedgerStore

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def usage(request_id: str, seconds: float, **fields: object) -> UsageRecord:
    return usage_record(request_id, T0 + seconds * SECOND, **fields)


# Written out of time order, with three requests of the same instant (s=5: c, d, e written in
# that order) and two models and teams, so order, ties and filters all show.
#   id  s   model        team    stream
#   f   9   gpt-4o       search  True
#   a   0   gpt-4o       search  True
#   c   5   gpt-4o-mini  ads     False
#   d   5   gpt-4o       ads     None
#   e   5   gpt-4o       search  True
#   b   2   gpt-4o-mini  search  False
#   g  10   gpt-4o       search  True     (at the excluded end of the range)
RECORDS = [
    usage("f", 9, stream=True, prompt_tokens=90, completion_tokens=9),
    usage("a", 0, stream=True, prompt_tokens=10, completion_tokens=1),
    usage("c", 5, model="gpt-4o-mini", team="ads", stream=False, prompt_tokens=50),
    usage("d", 5, team="ads", status=502, backend=None, prompt_tokens=0),
    usage("e", 5, stream=True, prompt_tokens=55, completion_tokens=5),
    usage("b", 2, model="gpt-4o-mini", stream=False, prompt_tokens=20, completion_tokens=2),
    usage("g", 10, stream=True, prompt_tokens=100, completion_tokens=10),
]
RANGE = (T0, T0 + 10 * SECOND)


async def ids(ledger: LedgerStore, **options: object) -> list[str]:
    since = options.pop("since", RANGE[0])
    until = options.pop("until", RANGE[1])
    found = ledger.records(since, until, **options)  # type: ignore[arg-type]
    return [record.request_id async for record in found]


@pytest.fixture(params=[1, 2, 1000], ids=["batch1", "batch2", "batch1000"])
async def ledger(sql_db: Database, request: pytest.FixtureRequest) -> SqlLedgerStore:
    """The records above; batches of one and two cut the three requests of s=5 apart."""
    store = SqlLedgerStore(sql_db, record_batch=request.param)
    await store.write_batch(RECORDS)
    return store


async def test_records_come_in_time_order_then_as_stored(ledger: SqlLedgerStore) -> None:
    assert await ids(ledger) == ["a", "b", "c", "d", "e", "f"]


async def test_every_field_comes_back_as_written(ledger: SqlLedgerStore) -> None:
    by_id = {record.request_id: record async for record in ledger.records(*RANGE)}
    assert by_id == {record.request_id: record for record in RECORDS if record.request_id != "g"}
    assert (by_id["a"].stream, by_id["b"].stream, by_id["d"].stream) == (True, False, None)


async def test_the_range_includes_since_and_excludes_until(ledger: SqlLedgerStore) -> None:
    assert await ids(ledger, since=T0 + 5 * SECOND, until=T0 + 9 * SECOND) == ["c", "d", "e"]
    assert await ids(ledger, since=T0 + 9 * SECOND, until=T0 + 11 * SECOND) == ["f", "g"]
    assert await ids(ledger, since=T0 + 11 * SECOND, until=T0 + 60 * SECOND) == []
    paris = timezone(timedelta(hours=1))
    local = (T0 + 2 * SECOND).astimezone(paris)
    assert await ids(ledger, since=local, until=local + SECOND) == ["b"]


async def test_model_and_team_filters(ledger: SqlLedgerStore) -> None:
    assert await ids(ledger, model="gpt-4o-mini") == ["b", "c"]
    assert await ids(ledger, team="ads") == ["c", "d"]
    assert await ids(ledger, model="gpt-4o", team="ads") == ["d"]
    assert await ids(ledger, model="no-such-route") == []


async def test_a_limit_keeps_the_oldest(ledger: SqlLedgerStore) -> None:
    assert await ids(ledger, limit=1) == ["a"]
    assert await ids(ledger, limit=4) == ["a", "b", "c", "d"]
    assert await ids(ledger, limit=100) == ["a", "b", "c", "d", "e", "f"]
    assert await ids(ledger, team="search", limit=2) == ["a", "b"]


async def test_records_come_without_their_capture(sql_db: Database) -> None:
    store = SqlLedgerStore(sql_db)
    captured = usage("cap", 1, capture=Capture(request='{"messages": "secret words"}'))
    await store.write_batch([captured])
    (record,) = [record async for record in store.records(*RANGE)]
    assert record == replace(captured, capture=None)


async def test_a_long_range_is_read_in_batches_that_each_start_where_the_last_ended(
    sql_db: Database,
) -> None:
    store = SqlLedgerStore(sql_db, record_batch=50)
    many = [usage(f"r{n:04d}", n // 7) for n in range(1000)]  # seven requests per second
    await store.write_batch(many[::-1])  # stored newest first: the id order is not time order
    seen = [record async for record in store.records(T0, T0 + 200 * SECOND)]
    assert len(seen) == 1000
    assert [record.at for record in seen] == sorted(record.at for record in seen)
    assert {record.request_id for record in seen} == {record.request_id for record in many}
    # Within one second, the order they were stored: r0006 was stored before r0000.
    assert [record.request_id for record in seen[:7]] == [f"r{n:04d}" for n in range(6, -1, -1)]


async def test_each_batch_is_read_when_the_caller_gets_to_it(sql_db: Database) -> None:
    store = SqlLedgerStore(sql_db, record_batch=1)
    await store.write_batch(RECORDS)
    records = store.records(*RANGE)
    first = await anext(records)
    await store.write_batch([usage("late", 1)])  # after `first`: in the batch not yet read
    rest = [record.request_id async for record in records]
    assert first.request_id == "a"
    assert rest == ["late", "b", "c", "d", "e", "f"]


async def test_naive_times_and_a_limit_below_one_are_refused(sql_db: Database) -> None:
    store = SqlLedgerStore(sql_db)
    with pytest.raises(ValueError, match="timezone-aware"):
        await anext(store.records(T0.replace(tzinfo=None), RANGE[1]))
    with pytest.raises(ValueError, match="limit must be at least 1"):
        await anext(store.records(*RANGE, limit=0))
    with pytest.raises(ValueError, match="record_batch"):
        SqlLedgerStore(sql_db, record_batch=0)


async def test_the_memory_ledger_answers_like_the_sql_one(sql_db: Database) -> None:
    sql, memory = SqlLedgerStore(sql_db, record_batch=2), MemoryLedger()
    for store in (sql, memory):
        await store.write_batch(RECORDS)
    for options in ({}, {"model": "gpt-4o"}, {"team": "ads"}, {"limit": 3}):
        assert await ids(memory, **options) == await ids(sql, **options), options
