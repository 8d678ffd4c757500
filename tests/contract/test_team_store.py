"""Every TeamStore behaves alike: in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.contract.store_cases import migrated

from sluicegate.core.budget import Budget, BudgetPeriod
from sluicegate.core.clock import ManualClock
from sluicegate.core.identity import Limits, TeamRecord, TeamStore
from sluicegate.stores.sql import Database, SqlTeamStore
from sluicegate.stores.sql.schema import teams as teams_table
from sluicegate.stores.teams_memory import MemoryTeamStore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def team(name: str = "search", **fields: object) -> TeamRecord:
    values: dict[str, object] = {"created_at": T0}
    values.update(fields)
    return TeamRecord(name=name, **values)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(wall_start=T0.timestamp())


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[TeamStore]:
    if request.param == "memory":
        yield MemoryTeamStore()
        return
    async with migrated(request.param, tmp_path) as database:
        yield SqlTeamStore(database, clock)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with migrated(request.param, tmp_path) as migrated_database:
        yield migrated_database


@pytest.fixture
def sql_store(database: Database, clock: ManualClock) -> SqlTeamStore:
    return SqlTeamStore(database, clock)


def test_both_stores_implement_the_protocol(sql_store: SqlTeamStore) -> None:
    stores: list[TeamStore] = [MemoryTeamStore(), sql_store]
    assert len(stores) == 2


async def test_a_new_team_comes_back_with_every_field(store: TeamStore) -> None:
    record = team(
        "search",
        models=frozenset({"gpt-4o", "gpt-4o-mini"}),
        limits=Limits(tpm=200_000, rpm=600, max_concurrency=8),
        budget=Budget(50.0, BudgetPeriod.MONTH, alert_at=0.9),
    )
    assert await store.put(record) is True
    assert await store.get("search") == record


async def test_no_limits_no_models_no_budget_round_trip(store: TeamStore) -> None:
    bare = TeamRecord("bare")
    assert await store.put(bare) is True
    assert await store.get("bare") == bare


async def test_a_zero_limit_is_kept_apart_from_no_limit(store: TeamStore) -> None:
    await store.put(team(limits=Limits(tpm=0, rpm=None)))
    found = await store.get("search")
    assert found is not None
    assert found.limits == Limits(tpm=0, rpm=None)


async def test_times_come_back_in_utc_whatever_zone_went_in(store: TeamStore) -> None:
    paris = timezone(timedelta(hours=1))
    await store.put(team(created_at=datetime(2025, 3, 1, 13, 0, tzinfo=paris)))
    found = await store.get("search")
    assert found is not None
    assert found.created_at == T0
    assert found.created_at.utcoffset() == timedelta(0)


async def test_put_replaces_the_team_and_keeps_its_creation_time(store: TeamStore) -> None:
    await store.put(
        team(
            models=frozenset({"gpt-4o"}),
            limits=Limits(tpm=1000, rpm=10),
            budget=Budget(5.0, BudgetPeriod.DAY),
        )
    )
    later = team(
        models=frozenset({"gpt-4o-mini"}),
        limits=Limits(rpm=20),
        created_at=T0 + timedelta(days=3),
    )
    assert await store.put(later) is False
    assert await store.get("search") == replace(later, created_at=T0)


async def test_replacing_with_no_creation_time_keeps_the_stored_one(store: TeamStore) -> None:
    await store.put(team())
    assert await store.put(team(created_at=None, limits=Limits(tpm=5))) is False
    found = await store.get("search")
    assert found is not None
    assert (found.created_at, found.limits.tpm) == (T0, 5)


async def test_a_team_stored_without_creation_time_takes_the_first_given(
    store: TeamStore,
) -> None:
    await store.put(team(created_at=None))
    await store.put(team(created_at=T0 + timedelta(hours=1)))
    found = await store.get("search")
    assert found is not None
    assert found.created_at == T0 + timedelta(hours=1)


async def test_unknown_team_is_none(store: TeamStore) -> None:
    await store.put(team("search"))
    assert await store.get("ads") is None
    assert await store.get("SEARCH") is None


async def test_delete_removes_only_that_team(store: TeamStore) -> None:
    await store.put(team("search"))
    await store.put(team("ads"))
    assert await store.delete("search") is True
    assert await store.get("search") is None
    assert await store.delete("search") is False
    assert [record.name for record in await store.list()] == ["ads"]


async def test_a_deleted_team_can_be_created_again_as_new(store: TeamStore) -> None:
    await store.put(team(limits=Limits(tpm=1)))
    await store.delete("search")
    assert await store.put(team(created_at=T0 + timedelta(days=1))) is True
    found = await store.get("search")
    assert found is not None
    assert (found.created_at, found.limits) == (T0 + timedelta(days=1), Limits())


async def test_list_is_ordered_by_name_by_code_point(store: TeamStore) -> None:
    assert await store.list() == []
    for name in ("search", "Zeta", "ads", "ads.eu", "ads-eu", "a_b", "team:9"):
        await store.put(team(name))
    names = [record.name for record in await store.list()]
    assert names == ["Zeta", "a_b", "ads", "ads-eu", "ads.eu", "search", "team:9"]


async def test_naive_creation_times_are_refused(store: TeamStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.put(team(created_at=datetime(2025, 1, 1)))
    assert await store.list() == []


async def test_concurrent_creations_of_one_team_report_exactly_one_new(
    store: TeamStore,
) -> None:
    writers = [team(limits=Limits(tpm=n), created_at=T0 + timedelta(minutes=n)) for n in range(6)]
    created = await asyncio.gather(*(store.put(record) for record in writers))
    assert sorted(created) == [False] * 5 + [True]
    [stored] = await store.list()
    assert stored.created_at == writers[created.index(True)].created_at


# --- SQL only: what the record does not carry -------------------------------------------------


async def _updated_at(database: Database, name: str) -> datetime | None:
    query = select(teams_table.c.updated_at).where(teams_table.c.name == name)
    async with database.engine.connect() as conn:
        value: datetime | None = (await conn.execute(query)).scalar_one()
    return value


async def test_updated_at_follows_every_write(
    sql_store: SqlTeamStore, database: Database, clock: ManualClock
) -> None:
    await sql_store.put(team())
    assert await _updated_at(database, "search") == T0
    clock.advance(90)
    await sql_store.put(team(limits=Limits(rpm=3)))
    assert await _updated_at(database, "search") == T0 + timedelta(seconds=90)
    found = await sql_store.get("search")
    assert found is not None
    assert found.created_at == T0


async def test_a_change_is_seen_through_another_connection_pool(
    sql_store: SqlTeamStore, database: Database, clock: ManualClock
) -> None:
    replica = Database(database.url.render_as_string(hide_password=False), database.options)
    try:
        there = SqlTeamStore(replica, clock)
        await sql_store.put(team(limits=Limits(tpm=10)))
        found = await there.get("search")
        assert found is not None
        assert found.limits.tpm == 10
        await sql_store.delete("search")
        assert await there.get("search") is None
    finally:
        await replica.close()
