"""Every BlocklistStore behaves alike: in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect
from tests.contract.conftest import SqlTarget
from tests.contract.store_cases import migrated

from sluicegate.core.blocklists import BlocklistRecord, BlocklistStore
from sluicegate.core.clock import ManualClock
from sluicegate.stores.blocklists_memory import MemoryBlocklistStore
from sluicegate.stores.sql import (
    Database,
    SqlBlocklistStore,
    SqlStores,
    downgrade,
    upgrade,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)


def blocklist(name: str = "competitors", **fields: object) -> BlocklistRecord:
    values: dict[str, object] = {"created_at": T0, "updated_at": T0}
    values.update(fields)
    return BlocklistRecord(name=name, **values)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(wall_start=T0.timestamp())


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[BlocklistStore]:
    if request.param == "memory":
        yield MemoryBlocklistStore(clock=clock)
        return
    async with migrated(request.param, tmp_path) as database:
        yield SqlBlocklistStore(database, clock)


async def test_a_new_list_comes_back_with_every_field_in_order(store: BlocklistStore) -> None:
    record = blocklist(
        terms=("ContosoAI", "Fabrikam GPT", "naïve café", "東京"),
        patterns=(r"\bproject\s+falcon\b", r"(?i)code[- ]?name \d+"),
        description="Competitors' product names",
        updated_at=T1,
    )
    assert await store.put(record) is True
    assert await store.get("competitors") == record


async def test_an_empty_list_round_trips(store: BlocklistStore) -> None:
    bare = blocklist("bare", created_at=None)
    assert await store.put(bare) is True
    found = await store.get("bare")
    assert found is not None
    assert (found.terms, found.patterns, found.description, found.created_at) == ((), (), "", None)


async def test_times_come_back_in_utc_whatever_zone_went_in(store: BlocklistStore) -> None:
    paris = timezone(timedelta(hours=1))
    await store.put(
        blocklist(
            created_at=datetime(2025, 3, 1, 13, 0, tzinfo=paris),
            updated_at=datetime(2025, 3, 1, 14, 0, tzinfo=paris),
        )
    )
    found = await store.get("competitors")
    assert found is not None
    assert (found.created_at, found.updated_at) == (T0, T1)
    assert found.created_at is not None
    assert found.created_at.utcoffset() == timedelta(0)


async def test_without_an_update_time_the_store_stamps_its_clock(
    store: BlocklistStore, clock: ManualClock
) -> None:
    clock.advance(42)
    await store.put(blocklist(updated_at=None))
    found = await store.get("competitors")
    assert found is not None
    assert found.updated_at == T0 + timedelta(seconds=42)


async def test_put_replaces_the_list_and_keeps_its_creation_time(store: BlocklistStore) -> None:
    await store.put(blocklist(terms=("a", "b"), patterns=("x+",), description="old"))
    later = blocklist(terms=("c",), created_at=T0 + timedelta(days=3), updated_at=T1)
    assert await store.put(later) is False
    found = await store.get("competitors")
    assert found == BlocklistRecord("competitors", ("c",), (), "", T0, T1)


async def test_replacing_with_no_creation_time_keeps_the_stored_one(
    store: BlocklistStore,
) -> None:
    await store.put(blocklist())
    assert await store.put(blocklist(created_at=None, terms=("z",))) is False
    found = await store.get("competitors")
    assert found is not None
    assert (found.created_at, found.terms) == (T0, ("z",))


async def test_unknown_list_is_none_and_names_are_case_sensitive(store: BlocklistStore) -> None:
    await store.put(blocklist("competitors"))
    assert await store.get("other") is None
    assert await store.get("COMPETITORS") is None


async def test_delete_removes_only_that_list(store: BlocklistStore) -> None:
    await store.put(blocklist("competitors"))
    await store.put(blocklist("slurs"))
    assert await store.delete("competitors") is True
    assert await store.get("competitors") is None
    assert await store.delete("competitors") is False
    assert [record.name for record in await store.list()] == ["slurs"]


async def test_a_deleted_list_can_be_created_again_as_new(store: BlocklistStore) -> None:
    await store.put(blocklist(terms=("a",)))
    await store.delete("competitors")
    assert await store.put(blocklist(created_at=T1)) is True
    found = await store.get("competitors")
    assert found is not None
    assert (found.created_at, found.terms) == (T1, ())


async def test_list_is_ordered_by_name_by_code_point(store: BlocklistStore) -> None:
    assert await store.list() == []
    for name in ("slurs", "Zeta", "ads", "ads.eu", "ads-eu", "a_b", "list:9"):
        await store.put(blocklist(name))
    names = [record.name for record in await store.list()]
    assert names == ["Zeta", "a_b", "ads", "ads-eu", "ads.eu", "list:9", "slurs"]


@pytest.mark.parametrize("field", ["created_at", "updated_at"])
async def test_naive_times_are_refused(store: BlocklistStore, field: str) -> None:
    naive: dict[str, object] = {field: datetime(2025, 1, 1)}
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.put(blocklist(**naive))
    assert await store.list() == []


async def test_a_large_list_round_trips(store: BlocklistStore) -> None:
    terms = tuple(f"term {n:05d} " + "x" * 980 for n in range(2000))
    patterns = tuple(rf"\bp{n}\b" for n in range(500))
    assert await store.put(blocklist(terms=terms, patterns=patterns)) is True
    found = await store.get("competitors")
    assert found is not None
    assert (found.terms, found.patterns) == (terms, patterns)


async def test_concurrent_creations_of_one_list_report_exactly_one_new(
    store: BlocklistStore,
) -> None:
    writers = [blocklist(terms=(f"t{n}",), created_at=T0 + timedelta(minutes=n)) for n in range(6)]
    created = await asyncio.gather(*(store.put(record) for record in writers))
    assert sorted(created) == [False] * 5 + [True]
    [stored] = await store.list()
    assert stored.created_at == writers[created.index(True)].created_at


# --- SQL only --------------------------------------------------------------------------------


async def test_a_change_is_seen_through_another_connection_pool(
    sql_db: Database, clock: ManualClock
) -> None:
    here = SqlBlocklistStore(sql_db, clock)
    replica = Database(sql_db.url.render_as_string(hide_password=False), sql_db.options)
    try:
        there = SqlBlocklistStore(replica, clock)
        await here.put(blocklist(terms=("a",)))
        found = await there.get("competitors")
        assert found is not None
        assert found.terms == ("a",)
        await here.delete("competitors")
        assert await there.list() == []
    finally:
        await replica.close()


async def test_the_stores_of_one_database_include_the_blocklists(sql_target: SqlTarget) -> None:
    stores = SqlStores.create(sql_target.url, sql_target.options)
    try:
        await stores.prepare(auto_upgrade=True)
        assert await stores.blocklists.put(blocklist()) is True
        assert [record.name for record in await stores.blocklists.list()] == ["competitors"]
    finally:
        await stores.close()


async def test_downgrading_past_0003_drops_only_the_blocklists(sql_db: Database) -> None:
    await SqlBlocklistStore(sql_db).put(blocklist())
    await downgrade(sql_db, "0002")
    async with sql_db.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert "blocklists" not in tables
    assert {"teams", "api_keys", "usage_records", "audit_log"} <= tables
    await upgrade(sql_db)
    assert await SqlBlocklistStore(sql_db).list() == []
