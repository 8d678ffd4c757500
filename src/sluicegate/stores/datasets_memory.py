"""Evaluation datasets held in process: for tests and for tools that need no database.

Implements `core.datasets.DatasetStore` as `stores.sql.datasets.SqlDatasetStore` does. Nothing
here awaits between reading and writing, so on one event loop every push is atomic without a
lock: racing pushes of one number leave one winner and `DatasetVersionConflict`s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sluicegate.core.clock import Clock, SystemClock
from sluicegate.core.datasets import DatasetInfo, DatasetVersion, DatasetVersionConflict
from sluicegate.core.versions import next_version, pushed_meanwhile


class MemoryDatasetStore:
    """Dataset versions; times come from `clock`'s wall time."""

    __slots__ = ("_clock", "_versions")

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._versions: dict[str, list[DatasetVersion]] = {}

    async def add_version(
        self,
        name: str,
        content: str,
        content_hash: str,
        *,
        items: int,
        description: str,
        author: str,
        parent: int | None,
    ) -> DatasetInfo:
        number = next_version(parent)
        stored = self._versions.setdefault(name, [])
        if number != len(stored) + 1:
            raise DatasetVersionConflict(pushed_meanwhile("dataset", name, number))
        now = datetime.fromtimestamp(self._clock.wall(), UTC)
        info = DatasetInfo(name, number, items, content_hash, description, author, now)
        stored.append(DatasetVersion(info, content))
        return info

    async def get_version(self, name: str, version: int) -> DatasetVersion | None:
        stored = self._versions.get(name, [])
        return stored[version - 1] if 1 <= version <= len(stored) else None

    async def latest(self, name: str) -> DatasetInfo | None:
        stored = self._versions.get(name)
        return stored[-1].info if stored else None

    async def versions(self, name: str) -> Sequence[DatasetInfo]:
        return [version.info for version in self._versions.get(name, [])]

    async def datasets(self) -> Sequence[DatasetInfo]:
        return [stored[-1].info for _, stored in sorted(self._versions.items()) if stored]
