"""SqlSpendSource: what a key or team spent since an instant, from the ledger, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sluicegate.core.budget import BudgetScope, SpendSource
from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql import Database, SqlLedgerStore, StoreUnavailable
from sluicegate.stores.sql.spend import SqlSpendSource

T0 = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)


def usage(request_id: str, at: datetime, subject: str, team: str, cost: float) -> UsageRecord:
    return UsageRecord(
        request_id,
        at,
        subject=subject,
        team=team,
        model="gpt-4o",
        backend="b",
        status=200,
        prompt_tokens=10,
        completion_tokens=5,
        cost=cost,
    )


# id   at               key    team    cost
# r0   T0 - 1 µs        key-a  search  100.0   (the previous period)
# r1   T0               key-a  search    0.5   (exactly at `since`: counted)
# r2   T0 + 1 h         key-a  search    1.25
# r3   T0 + 2 h         key-b  search    0.125
# r4   T0 + 3 h         key-c  ads       2.0
# r5   T0 + 40 days     key-a  ads       4.0   (key-a moved team; its spend follows the key)
RECORDS = [
    usage("r0", T0 - timedelta(microseconds=1), "key-a", "search", 100.0),
    usage("r1", T0, "key-a", "search", 0.5),
    usage("r2", T0 + timedelta(hours=1), "key-a", "search", 1.25),
    usage("r3", T0 + timedelta(hours=2), "key-b", "search", 0.125),
    usage("r4", T0 + timedelta(hours=3), "key-c", "ads", 2.0),
    usage("r5", T0 + timedelta(days=40), "key-a", "ads", 4.0),
]


@pytest.fixture
async def source(sql_db: Database) -> SqlSpendSource:
    await SqlLedgerStore(sql_db).write_batch(RECORDS)
    return SqlSpendSource(sql_db)


def test_implements_the_spend_source_protocol(sql_db: Database) -> None:
    source: SpendSource = SqlSpendSource(sql_db)
    assert isinstance(source, SqlSpendSource)


@pytest.mark.parametrize(
    ("scope", "subject", "since", "expected"),
    [
        (BudgetScope.KEY, "key-a", T0, 0.5 + 1.25 + 4.0),
        (BudgetScope.KEY, "key-a", T0 - timedelta(days=1), 100.0 + 0.5 + 1.25 + 4.0),
        (BudgetScope.KEY, "key-a", T0 + timedelta(microseconds=1), 1.25 + 4.0),
        (BudgetScope.KEY, "key-a", T0 + timedelta(hours=1), 1.25 + 4.0),
        (BudgetScope.KEY, "key-b", T0, 0.125),
        (BudgetScope.KEY, "key-c", T0, 2.0),
        (BudgetScope.TEAM, "search", T0, 0.5 + 1.25 + 0.125),
        (BudgetScope.TEAM, "search", T0 - timedelta(microseconds=1), 100.0 + 1.875),
        (BudgetScope.TEAM, "ads", T0, 2.0 + 4.0),
        (BudgetScope.TEAM, "ads", T0 + timedelta(days=1), 4.0),
        (BudgetScope.TEAM, "ads", T0 + timedelta(days=40, microseconds=1), 0.0),
    ],
)
async def test_sums_spend_at_or_after_since(
    source: SqlSpendSource, scope: BudgetScope, subject: str, since: datetime, expected: float
) -> None:
    spent = await source.spent_since(scope, subject, since)
    assert isinstance(spent, float)
    assert spent == pytest.approx(expected)


async def test_scope_decides_the_column(source: SqlSpendSource) -> None:
    # A team named like a key (and the other way round) spends nothing.
    assert await source.spent_since(BudgetScope.TEAM, "key-a", T0) == 0.0
    assert await source.spent_since(BudgetScope.KEY, "search", T0) == 0.0


@pytest.mark.parametrize(
    ("scope", "subject"), [(BudgetScope.KEY, "nobody"), (BudgetScope.TEAM, "none")]
)
async def test_zero_when_nothing_was_spent(
    source: SqlSpendSource, scope: BudgetScope, subject: str
) -> None:
    assert await source.spent_since(scope, subject, T0) == 0.0


async def test_zero_on_an_empty_ledger(sql_db: Database) -> None:
    source = SqlSpendSource(sql_db)
    assert await source.spent_since(BudgetScope.KEY, "key-a", T0) == 0.0
    assert await source.spent_since(BudgetScope.TEAM, "search", T0) == 0.0


async def test_since_in_another_zone_is_the_same_instant(source: SqlSpendSource) -> None:
    since = T0.astimezone(timezone(timedelta(hours=-5)))  # 19:00 the day before, in UTC-5
    assert await source.spent_since(BudgetScope.KEY, "key-a", since) == pytest.approx(5.75)


async def test_naive_since_is_refused(source: SqlSpendSource) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await source.spent_since(BudgetScope.KEY, "key-a", datetime(2025, 3, 1))


async def test_an_unreachable_database_is_store_unavailable() -> None:
    database = Database("postgresql+asyncpg://sg:s3cret-pw@127.0.0.1:9/none")
    try:
        with pytest.raises(StoreUnavailable, match="summing spend") as raised:
            await SqlSpendSource(database).spent_since(BudgetScope.TEAM, "search", T0)
        assert "s3cret-pw" not in str(raised.value)
    finally:
        await database.close()
