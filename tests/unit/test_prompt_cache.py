"""The gateway's prompt cache: labels reloaded on the clock, versions loaded once, outages
ridden out on the last state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from tests.prompt_texts import chat_prompt, point, push

from sluicegate.core.clock import ManualClock, SystemClock
from sluicegate.core.errors import ServiceUnavailable
from sluicegate.core.prompts import PromptLabel, PromptVersion
from sluicegate.policies.prompt_cache import PromptCache, load_version
from sluicegate.stores.prompts_memory import MemoryPromptStore

REFRESH = 2.0


class CountingStore(MemoryPromptStore):
    """A memory store that counts reads and can be taken down."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.label_reads = 0
        self.version_reads: list[tuple[str, int]] = []
        self.gate: asyncio.Event | None = None
        self.read = asyncio.Event()

    async def labels(self, name: str | None = None) -> Sequence[PromptLabel]:
        self.label_reads += 1
        self.read.set()
        if self.down:
            raise ConnectionRefusedError("database is down")
        return await super().labels(name)

    async def get_version(self, name: str, version: int) -> PromptVersion | None:
        self.version_reads.append((name, version))
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            raise ConnectionRefusedError("database is down")
        return await super().get_version(name, version)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def store() -> CountingStore:
    store = CountingStore()
    await push(store, "support", chat_prompt(greeting="one"))
    await push(store, "support", chat_prompt(greeting="two"))
    await point(store, "support", "production", (1, 1))
    return store


async def test_start_loads_every_label_and_the_versions_they_point_at(
    store: CountingStore, clock: ManualClock
) -> None:
    cache = PromptCache(store, clock, refresh_seconds=REFRESH)
    assert await cache.refresh()
    assert cache.label("support", "production") == ((1, 1),)
    loaded = cache.cached("support", 1)
    assert loaded is not None
    assert loaded.ref == "support@v1"
    assert cache.cached("support", 2) is None  # no label points at it
    assert cache.label("support", "staging") is None


async def test_a_label_move_is_seen_after_one_refresh_interval(
    store: CountingStore, clock: ManualClock
) -> None:
    cache = PromptCache(store, clock, refresh_seconds=REFRESH)
    await cache.refresh()
    await point(store, "support", "production", (2, 1))
    clock.advance(REFRESH - 0.01)
    assert not await cache.tick()
    assert cache.label("support", "production") == ((1, 1),)  # not yet
    clock.advance(0.01)
    assert await cache.tick()
    assert cache.label("support", "production") == ((2, 1),)
    assert cache.cached("support", 2) is not None  # preloaded with the label
    reads = len(store.version_reads)
    clock.advance(REFRESH)
    await cache.tick()
    assert len(store.version_reads) == reads  # versions are immutable: never read again


async def test_a_removed_label_disappears_at_the_next_refresh(
    store: CountingStore, clock: ManualClock
) -> None:
    cache = PromptCache(store, clock, refresh_seconds=REFRESH)
    await cache.refresh()
    await store.move_label("support", "production", [], actor="test")
    clock.advance(REFRESH)
    await cache.tick()
    assert cache.label("support", "production") is None


async def test_a_refresh_failure_keeps_the_last_state_and_logs_once(
    store: CountingStore, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    cache = PromptCache(store, clock, refresh_seconds=REFRESH)
    await cache.refresh()
    store.down = True
    caplog.set_level(logging.INFO, logger="sluicegate.prompts")
    for _ in range(3):
        clock.advance(REFRESH)
        assert await cache.tick()  # it tried
    assert cache.label("support", "production") == ((1, 1),)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "serving the last ones read" in warnings[0].getMessage()
    store.down = False
    await point(store, "support", "production", (2, 1))
    clock.advance(REFRESH)
    await cache.tick()
    assert cache.label("support", "production") == ((2, 1),)
    assert "reloaded again" in caplog.records[-1].getMessage()


async def test_a_failure_while_preloading_a_version_keeps_the_old_labels(
    store: CountingStore, clock: ManualClock
) -> None:
    cache = PromptCache(store, clock, refresh_seconds=REFRESH)
    await cache.refresh()
    await point(store, "support", "production", (2, 1))

    async def broken(name: str, version: int) -> PromptVersion | None:
        raise ConnectionResetError("lost")

    store.get_version = broken  # type: ignore[method-assign]
    assert not await cache.refresh()
    assert cache.label("support", "production") == ((1, 1),)  # never a label without its version


async def test_a_first_load_against_a_dead_store_leaves_the_cache_empty(
    clock: ManualClock,
) -> None:
    store = CountingStore()
    store.down = True
    cache = PromptCache(store, clock, refresh_seconds=REFRESH)
    assert not await cache.refresh()
    assert cache.label("support", "production") is None


async def test_an_explicit_version_is_read_once_even_by_concurrent_requests(
    store: CountingStore, clock: ManualClock
) -> None:
    cache = PromptCache(store, clock, refresh_seconds=REFRESH)
    store.gate = asyncio.Event()
    waiting = [asyncio.create_task(cache.version("support", 2)) for _ in range(5)]
    await asyncio.sleep(0)
    store.gate.set()
    results = await asyncio.gather(*waiting)
    assert {loaded.ref for loaded in results if loaded is not None} == {"support@v2"}
    assert store.version_reads == [("support", 2)]
    await cache.version("support", 2)
    assert store.version_reads == [("support", 2)]


async def test_a_missing_version_is_remembered_for_one_interval(
    store: CountingStore, clock: ManualClock
) -> None:
    cache = PromptCache(store, clock, refresh_seconds=REFRESH)
    assert await cache.version("support", 3) is None
    assert await cache.version("support", 3) is None
    assert store.version_reads == [("support", 3)]
    await push(store, "support", chat_prompt(greeting="three"))
    clock.advance(REFRESH)
    loaded = await cache.version("support", 3)
    assert loaded is not None
    assert loaded.ref == "support@v3"


async def test_an_explicit_version_while_the_store_is_down_is_a_503(
    store: CountingStore, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    cache = PromptCache(store, clock, refresh_seconds=REFRESH)
    store.down = True
    with pytest.raises(ServiceUnavailable):
        await cache.version("support", 2)
    assert "database is down" in caplog.text


async def test_the_background_task_keeps_labels_fresh() -> None:
    """With the system clock, started and stopped like the application does."""
    store = CountingStore()
    await push(store, "support", chat_prompt())
    cache = PromptCache(store, SystemClock(), refresh_seconds=0.05)
    await cache.start()
    try:
        assert cache.label("support", "production") is None
        await point(store, "support", "production", (1, 1))
        # The first read that starts after the move sees it; once the next one starts, the
        # reload that saw it has been installed (reloads run one after the other).
        for _ in range(2):
            store.read.clear()
            await asyncio.wait_for(store.read.wait(), 5)
        assert cache.label("support", "production") == ((1, 1),)
    finally:
        await cache.stop()


def test_a_version_that_cannot_be_parsed_is_kept_with_its_problem(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = PromptVersion(
        "bad", 1, "---\nmodel: [\n---\nhi", "0" * 64, None, "t", "", datetime.now(UTC)
    )
    loaded = load_version(broken)
    assert loaded.prompty is None
    assert loaded.problem
    assert "bad@v1 cannot be used" in caplog.text


def test_loaded_versions_give_fresh_defaults_and_keep_reserved_fields_out() -> None:
    source = chat_prompt(
        model="gpt-4o-mini",
        parameters="temperature: 0.5\n    stream: true\n    messages: []\n    stop: ['x']",
    )
    version = PromptVersion("p", 1, source, "0" * 64, None, "t", "", datetime.now(UTC))
    loaded = load_version(version)
    first = loaded.defaults()
    assert first == {"temperature": 0.5, "stop": ["x"]}
    first["stop"].append("changed")
    assert loaded.defaults()["stop"] == ["x"]
    assert loaded.model == "gpt-4o-mini"
