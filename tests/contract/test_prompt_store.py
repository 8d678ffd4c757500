"""Every PromptStore behaves alike: in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest
from tests.contract.store_cases import T0

from sluicegate.core.clock import ManualClock
from sluicegate.core.prompts import (
    LabelTarget,
    PromptNotFound,
    PromptStore,
    PromptVersion,
    VersionConflict,
)
from sluicegate.stores.prompts_memory import MemoryPromptStore
from sluicegate.stores.sql import Database, SqlPromptStore

SOURCE = "---\nname: support\n---\nsystem:\nYou help {{customer}}.\n"


@pytest.fixture
def store(store_database: Database | None, clock: ManualClock) -> PromptStore:
    """The in-memory store, or the SQL one on each database (`store_database`)."""
    if store_database is None:
        return MemoryPromptStore(clock)
    return SqlPromptStore(store_database, clock)


async def push(
    store: PromptStore,
    name: str = "support",
    source: str = SOURCE,
    *,
    parent: int | None = None,
    message: str = "",
) -> PromptVersion:
    return await store.add_version(
        name, source, f"hash-of-{source}"[:64], author="key:abc", message=message, parent=parent
    )


async def pushed(store: PromptStore, count: int, name: str = "support") -> None:
    """`count` versions of `name`, each derived from the one before."""
    for number in range(1, count + 1):
        await push(store, name, f"{SOURCE}v{number}\n", parent=number - 1 or None)


def one(version: int, weight: int = 1) -> tuple[LabelTarget, ...]:
    return (LabelTarget(version, weight),)


# --- versions ------------------------------------------------------------------------------------


async def test_the_first_push_is_version_1_and_comes_back_whole(
    store: PromptStore, clock: ManualClock
) -> None:
    clock.advance(5)
    first = await push(store, message="first cut")
    assert (first.version, first.parent, first.ref) == (1, None, "support@v1")
    assert first.created_at == T0 + timedelta(seconds=5)
    assert first.created_at.utcoffset() == timedelta(0)
    assert await store.get_version("support", 1) == first
    assert await store.latest("support") == first
    assert first.message == "first cut"
    assert first.author == "key:abc"


async def test_versions_are_numbered_on_from_their_parent(store: PromptStore) -> None:
    await pushed(store, 3)
    versions = await store.versions("support")
    assert [(v.version, v.parent) for v in versions] == [(1, None), (2, 1), (3, 2)]
    latest = await store.latest("support")
    assert latest is not None
    assert latest.version == 3
    assert latest.source.endswith("v3\n")


async def test_prompts_are_numbered_apart(store: PromptStore) -> None:
    await pushed(store, 2, "support")
    first_other = await push(store, "triage")
    assert first_other.version == 1
    assert [v.version for v in await store.versions("triage")] == [1]


async def test_the_source_is_kept_byte_for_byte(store: PromptStore) -> None:
    source = "---\r\nname: é\r\n---\r\nuser:\r\n  {{x}}  \t\n\n\n😀 trailing   "
    await push(store, source=source)
    found = await store.get_version("support", 1)
    assert found is not None
    assert found.source == source


async def test_a_stale_parent_is_a_conflict_and_changes_nothing(store: PromptStore) -> None:
    await pushed(store, 2)
    before = await store.versions("support")
    with pytest.raises(VersionConflict, match="push again"):
        await push(store, source="other", parent=1)
    with pytest.raises(VersionConflict):
        await push(store, source="other", parent=None)
    assert await store.versions("support") == before


async def test_a_parent_that_does_not_exist_is_refused(store: PromptStore) -> None:
    await pushed(store, 1)
    with pytest.raises(PromptNotFound, match="no version 4"):
        await push(store, parent=4)
    with pytest.raises(PromptNotFound):
        await push(store, "unknown", parent=1)
    assert [v.version for v in await store.versions("support")] == [1]
    assert await store.versions("unknown") == []


async def test_unknown_prompts_and_versions_are_none(store: PromptStore) -> None:
    await pushed(store, 1)
    assert await store.get_version("support", 2) is None
    assert await store.get_version("nothing", 1) is None
    assert await store.latest("nothing") is None
    assert await store.versions("nothing") == []
    assert await store.prompts() != []
    assert await store.labels("nothing") == []
    assert await store.history("nothing") == []


# --- labels --------------------------------------------------------------------------------------


async def test_a_label_points_at_a_version(store: PromptStore, clock: ManualClock) -> None:
    await pushed(store, 2)
    clock.advance(60)
    move = await store.move_label("support", "staging", one(2), actor="key:ops", note="try it")
    assert (move.before, move.after, move.actor, move.note) == ((), one(2), "key:ops", "try it")
    assert move.at == T0 + timedelta(seconds=60)
    label = await store.get_label("support", "staging")
    assert label is not None
    assert (label.targets, label.updated_by, label.updated_at) == (one(2), "key:ops", move.at)
    assert await store.get_label("support", "production") is None


async def test_a_split_keeps_its_versions_and_weights_in_order(store: PromptStore) -> None:
    await pushed(store, 4)
    split = (LabelTarget(4, 10), LabelTarget(3, 90))
    await store.move_label("support", "production", split, actor="a")
    label = await store.get_label("support", "production")
    assert label is not None
    assert label.targets == split


async def test_every_move_is_recorded_with_before_and_after(
    store: PromptStore, clock: ManualClock
) -> None:
    await pushed(store, 3)
    await store.move_label("support", "production", one(1), actor="a")
    clock.advance(1)
    await store.move_label("support", "staging", one(3), actor="b")
    clock.advance(1)
    split = (LabelTarget(1, 90), LabelTarget(2, 10))
    await store.move_label("support", "production", split, actor="c", note="canary")
    clock.advance(1)
    await store.move_label("support", "production", one(2), actor="d")
    history = await store.history("support", "production")
    assert [(m.before, m.after, m.actor) for m in history] == [
        ((), one(1), "a"),
        (one(1), split, "c"),
        (split, one(2), "d"),
    ]
    assert history[1].note == "canary"
    everything = await store.history("support")
    assert [m.actor for m in everything] == ["a", "b", "c", "d"]
    assert [m.at for m in everything] == sorted(m.at for m in everything)


async def test_removing_a_label_is_a_move_to_nothing(store: PromptStore) -> None:
    await pushed(store, 2)
    await store.move_label("support", "staging", one(2), actor="a")
    removed = await store.move_label("support", "staging", (), actor="b")
    assert (removed.before, removed.after) == (one(2), ())
    assert await store.get_label("support", "staging") is None
    assert await store.labels("support") == []
    assert [m.after for m in await store.history("support", "staging")] == [one(2), ()]
    again = await store.move_label("support", "staging", one(1), actor="c")
    assert again.before == ()


async def test_removing_a_label_that_is_not_there_is_refused(store: PromptStore) -> None:
    await pushed(store, 1)
    with pytest.raises(PromptNotFound, match="no label 'staging'"):
        await store.move_label("support", "staging", (), actor="a")
    assert await store.history("support") == []


async def test_a_label_on_an_unknown_version_is_refused_and_not_recorded(
    store: PromptStore,
) -> None:
    await pushed(store, 2)
    await store.move_label("support", "production", one(1), actor="a")
    with pytest.raises(PromptNotFound, match="no version 3"):
        await store.move_label("support", "production", (LabelTarget(2), LabelTarget(3)), actor="b")
    with pytest.raises(PromptNotFound):
        await store.move_label("unknown", "production", one(1), actor="b")
    label = await store.get_label("support", "production")
    assert label is not None
    assert label.targets == one(1)
    assert len(await store.history("support")) == 1
    assert await store.history("unknown") == []


async def test_a_version_named_twice_in_a_split_is_refused(store: PromptStore) -> None:
    await pushed(store, 2)
    with pytest.raises(ValueError, match="once"):
        await store.move_label("support", "x", (LabelTarget(1, 5), LabelTarget(1, 5)), actor="a")
    assert await store.get_label("support", "x") is None


async def test_labels_of_one_prompt_or_of_all(store: PromptStore) -> None:
    await pushed(store, 1, "support")
    await pushed(store, 1, "alpha")
    await store.move_label("support", "staging", one(1), actor="a")
    await store.move_label("support", "production", one(1), actor="a")
    await store.move_label("alpha", "production", one(1), actor="a")
    assert [(x.name, x.label) for x in await store.labels()] == [
        ("alpha", "production"),
        ("support", "production"),
        ("support", "staging"),
    ]
    assert [x.label for x in await store.labels("support")] == ["production", "staging"]


async def test_the_listing_shows_latest_labels_and_last_change(
    store: PromptStore, clock: ManualClock
) -> None:
    await pushed(store, 2, "support")
    clock.advance(10)
    await pushed(store, 1, "alpha")
    clock.advance(10)
    await store.move_label("support", "production", one(1), actor="a")
    clock.advance(10)
    await store.move_label("support", "production", (), actor="a")
    summaries = await store.prompts()
    assert [(s.name, s.latest) for s in summaries] == [("alpha", 1), ("support", 2)]
    alpha, support = summaries
    assert alpha.updated_at == T0 + timedelta(seconds=10)
    assert support.updated_at == T0 + timedelta(seconds=30)  # the removal is a change
    assert support.labels == ()
    await store.move_label("support", "staging", one(2), actor="a")
    [_, support] = await store.prompts()
    assert [label.label for label in support.labels] == ["staging"]


# --- concurrency ---------------------------------------------------------------------------------


async def test_racing_pushes_of_one_number_leave_one_winner(store: PromptStore) -> None:
    await pushed(store, 1)
    results = await asyncio.gather(
        *(push(store, source=f"rival {n}", parent=1) for n in range(6)), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, PromptVersion)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1, results
    assert all(isinstance(loser, VersionConflict) for loser in losers), losers
    assert [v.source for v in await store.versions("support")][1:] == [winners[0].source]


async def test_pushers_that_retry_on_conflict_all_get_their_own_number(
    store: PromptStore,
) -> None:
    async def push_until_stored(text: str) -> PromptVersion:
        while True:
            latest = await store.latest("support")
            try:
                return await push(store, source=text, parent=latest.version if latest else None)
            except VersionConflict:
                continue  # the winner has committed: reading again sees its version

    texts = [f"text {n}" for n in range(6)]
    stored = await asyncio.gather(*(push_until_stored(text) for text in texts))
    assert sorted(v.version for v in stored) == [1, 2, 3, 4, 5, 6]
    versions = await store.versions("support")
    assert sorted(v.source for v in versions) == sorted(texts)
    assert [v.parent for v in versions] == [None, 1, 2, 3, 4, 5]


async def test_racing_label_moves_lose_no_history(store: PromptStore) -> None:
    await pushed(store, 5)
    targets = [one(n) for n in (1, 2, 3, 4, 5)] * 2
    moves = await asyncio.gather(
        *(
            store.move_label("support", "production", target, actor=f"mover-{n}")
            for n, target in enumerate(targets)
        )
    )
    history = await store.history("support", "production")
    assert len(history) == len(targets)
    assert history[0].before == ()  # exactly one of the racers created the label
    for earlier, later in itertools.pairwise(history):
        assert later.before == earlier.after, history
    label = await store.get_label("support", "production")
    assert label is not None
    assert label.targets == history[-1].after
    assert sorted(m.actor for m in history) == sorted(m.actor for m in moves)
