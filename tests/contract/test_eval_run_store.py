"""Every EvalRunStore behaves alike: in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from tests.contract.store_cases import T0

from sluicegate.core.evaluations import EvalRun, EvalRunInfo, EvalRunStore
from sluicegate.stores.eval_runs_memory import MemoryEvalRunStore
from sluicegate.stores.sql import Database
from sluicegate.stores.sql.eval_runs import SqlEvalRunStore


@pytest.fixture
def store(store_database: Database | None) -> EvalRunStore:
    """The in-memory store, or the SQL one on each database (`store_database`)."""
    return MemoryEvalRunStore() if store_database is None else SqlEvalRunStore(store_database)


def run(
    run_id: str, prompts: tuple[str, ...] = ("support",), minutes: int = 0, **summary: Any
) -> EvalRun:
    info = EvalRunInfo(
        id=run_id,
        prompts=prompts,
        baseline=("support@v7",),
        candidates=("support@v8", "other.prompty#abc"),
        complete=True,
        published_by="key:abc",
        published_at=T0 + timedelta(minutes=minutes),
    )
    body = {"format": "x", "alpha": 0.05, "nested": {"list": [1, 2.5, None, "é"]}, **summary}
    return EvalRun(info, body)


async def test_a_run_comes_back_whole(store: EvalRunStore) -> None:
    stored = run("ev-1")
    assert await store.add(stored) is True
    found = await store.get("ev-1")
    assert found is not None
    assert found.info == stored.info
    assert dict(found.summary) == dict(stored.summary)
    assert await store.get("ev-2") is None


async def test_publishing_one_id_twice_keeps_the_first(store: EvalRunStore) -> None:
    assert await store.add(run("ev-1", minutes=1))
    assert await store.add(run("ev-1", minutes=5, other=True)) is False
    found = await store.get("ev-1")
    assert found is not None
    assert found.info.published_at == T0 + timedelta(minutes=1)
    assert "other" not in found.summary
    assert [info.id for info in await store.list()] == ["ev-1"]


async def test_racing_publishers_of_one_run_store_it_once(store: EvalRunStore) -> None:
    added = await asyncio.gather(*(store.add(run("ev-1")) for _ in range(4)))
    assert sorted(added) == [False, False, False, True]
    assert len(await store.list(prompt="support")) == 1


async def test_listing_is_newest_first_and_by_prompt(store: EvalRunStore) -> None:
    await store.add(run("ev-a", ("support",), minutes=1))
    await store.add(run("ev-b", ("support", "triage"), minutes=3))
    await store.add(run("ev-c", ("triage",), minutes=2))
    await store.add(run("ev-d", (), minutes=4))
    assert [i.id for i in await store.list()] == ["ev-d", "ev-b", "ev-c", "ev-a"]
    assert [i.id for i in await store.list(prompt="support")] == ["ev-b", "ev-a"]
    assert [i.id for i in await store.list(prompt="triage")] == ["ev-b", "ev-c"]
    assert [i.id for i in await store.list(prompt="supp")] == []
    assert [i.id for i in await store.list(limit=2)] == ["ev-d", "ev-b"]
    (first,) = await store.list(prompt="triage", limit=1)
    assert first.prompts == ("support", "triage")
    assert first.candidates == ("support@v8", "other.prompty#abc")
    with pytest.raises(ValueError, match="limit"):
        await store.list(limit=0)
