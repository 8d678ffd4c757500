"""The prompt registry held in process: for tests and for tools that need no database.

Implements `core.prompts.PromptStore` as `stores.sql.prompts.SqlPromptStore` does. Nothing here
awaits between reading and writing its dictionaries, so on one event loop every operation is
atomic without a lock: racing pushes of one number leave one winner and `VersionConflict`s, and
label moves are recorded in the order they happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sluicegate.core.clock import Clock, SystemClock
from sluicegate.core.prompts import (
    LabelMove,
    LabelTarget,
    PromptLabel,
    PromptNotFound,
    PromptSummary,
    PromptVersion,
    VersionConflict,
    label_targets,
)
from sluicegate.core.versions import next_version, pushed_meanwhile


class MemoryPromptStore:
    """Prompt versions, labels and label history; times come from `clock`'s wall time."""

    __slots__ = ("_clock", "_labels", "_moves", "_versions")

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._versions: dict[str, list[PromptVersion]] = {}
        self._labels: dict[tuple[str, str], PromptLabel] = {}
        self._moves: list[LabelMove] = []

    async def add_version(
        self,
        name: str,
        source: str,
        content_hash: str,
        *,
        author: str,
        message: str,
        parent: int | None,
    ) -> PromptVersion:
        number = next_version(parent)
        stored = self._versions.get(name, [])
        if parent is not None and parent > len(stored):
            raise PromptNotFound(f"prompt '{name}' has no version {parent}")
        if number <= len(stored):
            raise VersionConflict(pushed_meanwhile("prompt", name, number))
        version = PromptVersion(
            name, number, source, content_hash, parent, author, message, self._now()
        )
        self._versions.setdefault(name, []).append(version)
        return version

    async def get_version(self, name: str, version: int) -> PromptVersion | None:
        stored = self._versions.get(name, [])
        return stored[version - 1] if 1 <= version <= len(stored) else None

    async def latest(self, name: str) -> PromptVersion | None:
        stored = self._versions.get(name)
        return stored[-1] if stored else None

    async def versions(self, name: str) -> Sequence[PromptVersion]:
        return list(self._versions.get(name, ()))

    async def prompts(self) -> Sequence[PromptSummary]:
        summaries = []
        for name in sorted(self._versions):
            newest = self._versions[name][-1]
            moved = [move.at for move in self._moves if move.name == name]
            summaries.append(
                PromptSummary(
                    name,
                    newest.version,
                    tuple(await self.labels(name)),
                    max([newest.created_at, *moved]),
                )
            )
        return summaries

    async def get_label(self, name: str, label: str) -> PromptLabel | None:
        return self._labels.get((name, label))

    async def labels(self, name: str | None = None) -> Sequence[PromptLabel]:
        return [self._labels[key] for key in sorted(self._labels) if name is None or key[0] == name]

    async def move_label(
        self,
        name: str,
        label: str,
        targets: Sequence[LabelTarget],
        *,
        actor: str,
        note: str = "",
    ) -> LabelMove:
        after = label_targets(targets)
        count = len(self._versions.get(name, ()))
        missing = sorted({target.version for target in after if target.version > count})
        if missing:
            listed = ", ".join(str(number) for number in missing)
            raise PromptNotFound(f"prompt '{name}' has no version {listed}")
        current = self._labels.get((name, label))
        if current is None and not after:
            raise PromptNotFound(f"prompt '{name}' has no label '{label}'")
        at = self._now()
        if after:
            self._labels[(name, label)] = PromptLabel(name, label, after, at, actor)
        else:
            del self._labels[(name, label)]
        move = LabelMove(
            name, label, () if current is None else current.targets, after, actor, at, note
        )
        self._moves.append(move)
        return move

    async def history(self, name: str, label: str | None = None) -> Sequence[LabelMove]:
        return [
            move
            for move in self._moves
            if move.name == name and (label is None or move.label == label)
        ]

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.wall(), UTC)

    def __repr__(self) -> str:
        return f"MemoryPromptStore(prompts={len(self._versions)})"
