"""Every DatasetStore behaves alike: in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tests.contract.store_cases import T0

from sluicegate.core.clock import ManualClock
from sluicegate.core.datasets import DatasetInfo, DatasetStore, DatasetVersionConflict
from sluicegate.stores.datasets_memory import MemoryDatasetStore
from sluicegate.stores.sql import Database
from sluicegate.stores.sql.datasets import SqlDatasetStore

CONTENT = '{"question": "2+2?", "expected": "4"}\r\n{"question": "Zoë?"}\n\n'


@pytest.fixture
def store(store_database: Database | None, clock: ManualClock) -> DatasetStore:
    """The in-memory store, or the SQL one on each database (`store_database`)."""
    if store_database is None:
        return MemoryDatasetStore(clock)
    return SqlDatasetStore(store_database, clock)


async def push(
    store: DatasetStore,
    name: str = "qa",
    content: str = CONTENT,
    *,
    parent: int | None = None,
    items: int = 2,
) -> DatasetInfo:
    return await store.add_version(
        name,
        content,
        f"hash-{len(content)}-{parent}",
        items=items,
        description=f"pushed on {parent}",
        author="key:abc",
        parent=parent,
    )


async def test_a_version_comes_back_whole_with_its_facts(
    store: DatasetStore, clock: ManualClock
) -> None:
    clock.advance(7)
    first = await push(store)
    assert (first.version, first.ref, first.items) == (1, "qa@v1", 2)
    assert first.created_at == T0 + timedelta(seconds=7)
    found = await store.get_version("qa", 1)
    assert found is not None
    assert found.info == first
    assert found.content == CONTENT  # CRLF, non-ASCII and trailing blank lines kept
    assert await store.latest("qa") == first
    assert await store.get_version("qa", 2) is None
    assert await store.get_version("other", 1) is None
    assert await store.latest("other") is None


async def test_versions_are_numbered_per_name_and_listed_by_latest(store: DatasetStore) -> None:
    await push(store, "qa")
    await push(store, "qa", "{}\n", parent=1, items=5)
    await push(store, "a-first", parent=None)
    assert [v.version for v in await store.versions("qa")] == [1, 2]
    assert await store.versions("missing") == []
    listed = await store.datasets()
    assert [(d.name, d.version, d.items) for d in listed] == [("a-first", 1, 2), ("qa", 2, 5)]
    second = await store.get_version("qa", 2)
    assert second is not None
    assert second.content == "{}\n"
    assert second.info.description == "pushed on 1"


async def test_a_stale_parent_is_a_conflict_and_stores_nothing(store: DatasetStore) -> None:
    await push(store)
    await push(store, parent=1)
    with pytest.raises(DatasetVersionConflict, match="push again"):
        await push(store, content="stale", parent=1)
    with pytest.raises(DatasetVersionConflict):
        await push(store, content="stale", parent=None)
    assert [v.version for v in await store.versions("qa")] == [1, 2]


async def test_racing_pushes_of_one_number_leave_one_winner(store: DatasetStore) -> None:
    await push(store)
    outcomes = await asyncio.gather(
        *(push(store, content=f"race {i}", parent=1) for i in range(4)), return_exceptions=True
    )
    winners = [o for o in outcomes if isinstance(o, DatasetInfo)]
    assert len(winners) == 1
    assert all(isinstance(o, DatasetVersionConflict) for o in outcomes if o not in winners)
    assert [v.version for v in await store.versions("qa")] == [1, 2]
