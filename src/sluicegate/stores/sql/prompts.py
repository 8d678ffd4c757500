"""The prompt registry in SQL: `core.prompts.PromptStore` on SQLite or PostgreSQL.

A version is inserted under the number its pusher expects (`parent + 1`); the primary key
(name, version) refuses the loser of two racing pushes, which becomes `VersionConflict`, so
numbers are unique and gapless without a read-then-write race.

A label move reads the label's row for update (PostgreSQL locks it; on SQLite the write
transaction holds the database's lock from its start), writes the new state and appends the
move in the same transaction: concurrent moves of one label queue up, and each one's `before`
is the `after` of the move before it. When two movers create a label at once, the second one's
INSERT waits for the first to commit and does nothing; the second then moves the row the first
created.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, and_, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

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
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated
from sluicegate.stores.sql.rows import read_rows, record_of, row_of
from sluicegate.stores.sql.schema import prompt_label_moves, prompt_labels, prompt_versions
from sluicegate.stores.sql.versioned_rows import VersionedRows

_V = prompt_versions.c
_L = prompt_labels.c
_M = prompt_label_moves.c


class SqlPromptStore:
    """Prompt versions, labels and label history; times come from `clock`'s wall time."""

    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self._db = database
        self._clock = clock or SystemClock()
        self._versions = VersionedRows(database, prompt_versions, "prompt")

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
        version = PromptVersion(
            name=name,
            version=next_version(parent),
            source=source,
            content_hash=content_hash,
            parent=parent,
            author=author,
            message=message,
            created_at=self._now(),
        )
        conflict = VersionConflict(pushed_meanwhile("prompt", name, version.version))

        async def parent_exists(conn: AsyncConnection) -> None:
            if parent is not None and await self._versions.missing(conn, name, {parent}):
                raise PromptNotFound(f"prompt '{name}' has no version {parent}")

        await self._versions.insert(row_of(version), conflict, parent_exists)
        return version

    async def get_version(self, name: str, version: int) -> PromptVersion | None:
        row = await self._versions.get(name, version)
        return None if row is None else record_of(PromptVersion, row)

    async def latest(self, name: str) -> PromptVersion | None:
        row = await self._versions.latest(name)
        return None if row is None else record_of(PromptVersion, row)

    async def versions(self, name: str) -> Sequence[PromptVersion]:
        return [record_of(PromptVersion, row) for row in await self._versions.every(name)]

    async def prompts(self) -> Sequence[PromptSummary]:
        newest = select(_V.name, func.max(_V.version), func.max(_V.created_at)).group_by(_V.name)
        moved = select(_M.name, func.max(_M.at)).group_by(_M.name)
        async with translated("listing prompts"), self._db.engine.connect() as conn:
            versions = (await conn.execute(newest)).all()
            moves = {row[0]: row[1] for row in (await conn.execute(moved)).all()}
            labels = _labels((await conn.execute(select(prompt_labels))).mappings().all())
        summaries = []
        for name, latest, created_at in sorted(versions, key=lambda row: row[0]):
            updated_at = max(created_at, moves.get(name, created_at))
            own = tuple(label for label in labels if label.name == name)
            summaries.append(PromptSummary(name, int(latest), own, updated_at))
        return summaries

    async def get_label(self, name: str, label: str) -> PromptLabel | None:
        query = select(prompt_labels).where(_L.name == name, _L.label == label)
        rows = await read_rows(self._db, query, "reading a prompt label")
        return _label(rows[0]) if rows else None

    async def labels(self, name: str | None = None) -> Sequence[PromptLabel]:
        query = select(prompt_labels)
        if name is not None:
            query = query.where(_L.name == name)
        return _labels(await read_rows(self._db, query, "reading prompt labels"))

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
        at = self._now()
        async with translated("moving a prompt label"), self._db.writer.begin() as conn:
            missing = await self._versions.missing(conn, name, (target.version for target in after))
            if missing:
                listed = ", ".join(str(number) for number in missing)
                raise PromptNotFound(f"prompt '{name}' has no version {listed}")
            row = await self._locked(conn, name, label)
            while row is None and after:
                values = {
                    "name": name,
                    "label": label,
                    "targets": _targets_json(after),
                    "updated_at": at,
                    "updated_by": actor,
                }
                if (await conn.execute(self._insert_if_absent(values))).rowcount:
                    break
                row = await self._locked(conn, name, label)  # a rival created it: move theirs
            if row is None and not after:
                raise PromptNotFound(f"prompt '{name}' has no label '{label}'")
            before = () if row is None else _targets(row["targets"])
            one = and_(_L.name == name, _L.label == label)
            if row is not None and after:
                changed = {"targets": _targets_json(after), "updated_at": at, "updated_by": actor}
                await conn.execute(update(prompt_labels).where(one).values(changed))
            elif row is not None:
                await conn.execute(delete(prompt_labels).where(one))
            move = LabelMove(name, label, before, after, actor, at, note)
            await conn.execute(insert(prompt_label_moves).values(_move_row(move)))
        return move

    async def history(self, name: str, label: str | None = None) -> Sequence[LabelMove]:
        query = select(prompt_label_moves).where(_M.name == name).order_by(_M.id)
        if label is not None:
            query = query.where(_M.label == label)
        return [_move(row) for row in await read_rows(self._db, query, "reading label history")]

    async def _locked(self, conn: AsyncConnection, name: str, label: str) -> RowMapping | None:
        query = (
            select(prompt_labels)
            .where(_L.name == name, _L.label == label)
            .with_for_update()  # SQLite renders nothing: its write transaction is the lock
        )
        return (await conn.execute(query)).mappings().first()

    def _insert_if_absent(self, values: dict[str, Any]) -> Any:
        dialect = postgresql if self._db.dialect == "postgresql" else sqlite
        statement = dialect.insert(prompt_labels).values(values)
        return statement.on_conflict_do_nothing(index_elements=["name", "label"])

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.wall(), UTC)

    def __repr__(self) -> str:
        return f"SqlPromptStore({self._db!r})"


def _targets_json(targets: Sequence[LabelTarget]) -> list[dict[str, int]]:
    return [{"version": target.version, "weight": target.weight} for target in targets]


def _targets(data: Any) -> tuple[LabelTarget, ...]:
    return tuple(LabelTarget(int(item["version"]), int(item["weight"])) for item in data or ())


def _label(row: RowMapping) -> PromptLabel:
    return record_of(PromptLabel, row, targets=_targets(row["targets"]))


def _labels(rows: Iterable[RowMapping]) -> list[PromptLabel]:
    """By prompt, then label, in code-point order (the same on every database)."""
    return sorted((_label(row) for row in rows), key=lambda label: (label.name, label.label))


def _move_row(move: LabelMove) -> dict[str, Any]:
    return row_of(move, before=_targets_json(move.before), after=_targets_json(move.after))


def _move(row: RowMapping) -> LabelMove:
    return record_of(LabelMove, row, before=_targets(row["before"]), after=_targets(row["after"]))
