"""Feedback in SQL: `core.feedback.FeedbackStore` on SQLite or PostgreSQL.

One row per (request, rater), enforced by a unique index. `rate` is an UPDATE of the given
fields first, then an INSERT that does nothing on a clash (a concurrent first rating by the
same rater), then the UPDATE again: the same on both databases, with no read-then-write race,
and the row's creation time is never lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, and_, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from sluicegate.core.feedback import (
    FEEDBACK_DIMENSIONS,
    FeedbackDimension,
    FeedbackRecord,
    FeedbackTotals,
    Rating,
    new_feedback,
)
from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated
from sluicegate.stores.sql.schema import feedback
from sluicegate.stores.sql.types import require_aware

MAX_PAGE = 10_000
_GROUP_COLUMNS: dict[FeedbackDimension, ColumnElement[Any]] = {
    "prompt_version": feedback.c.prompt_version,
    "model": feedback.c.model,
    "backend": feedback.c.backend,
    "consumer": feedback.c.subject,
    "team": feedback.c.team,
}
_FIELDS = tuple(column.name for column in feedback.columns)


class SqlFeedbackStore:
    """Ratings of requests, one per rater, summed per prompt version, model, backend or
    consumer."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def rate(
        self, request: UsageRecord, rater: str, rating: Rating, at: datetime
    ) -> tuple[FeedbackRecord, bool]:
        require_aware("at", at)
        first = _row(new_feedback(request, rater, rating, at))
        async with translated("storing feedback"), self._db.writer.begin() as conn:
            created = False
            if not await self._change(conn, request.request_id, rater, rating, at):
                inserted = await conn.execute(self._insert_if_absent(first))
                created = bool(inserted.rowcount)
                if not created:
                    await self._change(conn, request.request_id, rater, rating, at)
            row = (await conn.execute(self._select(request.request_id, rater))).mappings().one()
        return _record(row), created

    async def get(self, request_id: str, rater: str) -> FeedbackRecord | None:
        async with translated("reading feedback"), self._db.engine.connect() as conn:
            row = (await conn.execute(self._select(request_id, rater))).mappings().first()
        return None if row is None else _record(row)

    async def summarize(
        self,
        by: Sequence[FeedbackDimension],
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[FeedbackTotals]:
        if not by or any(dimension not in _GROUP_COLUMNS for dimension in by):
            raise ValueError(
                f"cannot group feedback by {list(by)!r}; use some of "
                f"{', '.join(FEEDBACK_DIMENSIONS)}"
            )
        groups = [_GROUP_COLUMNS[dimension] for dimension in by]
        t = feedback.c
        query = select(
            *groups,
            func.count(),
            func.coalesce(func.sum(case((t.thumbs == "up", 1), else_=0)), 0),
            func.coalesce(func.sum(case((t.thumbs == "down", 1), else_=0)), 0),
            func.count(t.score),
            func.coalesce(func.sum(t.score), 0.0),
            func.count(t.comment),
            func.count(t.correction),
        ).group_by(*groups)
        query = query.where(*_in_range(since, until))
        async with translated("summing feedback"), self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        width = len(groups)
        totals = [
            FeedbackTotals(
                group=tuple(row[:width]),
                ratings=int(row[width]),
                thumbs_up=int(row[width + 1]),
                thumbs_down=int(row[width + 2]),
                scores=int(row[width + 3]),
                score_sum=float(row[width + 4]),
                comments=int(row[width + 5]),
                corrections=int(row[width + 6]),
            )
            for row in rows
        ]
        return sorted(totals, key=lambda total: _group_order(total.group))

    async def page(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        after_id: int | None = None,
        limit: int = 1000,
    ) -> list[FeedbackRecord]:
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
        query = select(feedback).where(*_in_range(since, until)).order_by(feedback.c.id)
        if after_id is not None:
            query = query.where(feedback.c.id > after_id)
        async with translated("reading feedback"), self._db.engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit))).mappings().all()
        return [_record(row) for row in rows]

    async def _change(
        self, conn: AsyncConnection, request_id: str, rater: str, rating: Rating, at: datetime
    ) -> bool:
        values: dict[str, Any] = {**rating.values(), "updated_at": at}
        statement = update(feedback).where(_one(request_id, rater)).values(values)
        return bool((await conn.execute(statement)).rowcount)

    def _insert_if_absent(self, row: dict[str, Any]) -> Any:
        dialect = postgresql if self._db.dialect == "postgresql" else sqlite
        insert = dialect.insert(feedback).values(row)
        return insert.on_conflict_do_nothing(index_elements=["request_id", "rater"])

    def _select(self, request_id: str, rater: str) -> Any:
        return select(feedback).where(_one(request_id, rater))


def _one(request_id: str, rater: str) -> ColumnElement[bool]:
    return and_(feedback.c.request_id == request_id, feedback.c.rater == rater)


def _in_range(since: datetime | None, until: datetime | None) -> list[ColumnElement[bool]]:
    require_aware("since", since)
    require_aware("until", until)
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(feedback.c.request_at >= since)
    if until is not None:
        conditions.append(feedback.c.request_at < until)
    return conditions


def _group_order(group: tuple[str | None, ...]) -> tuple[tuple[bool, str], ...]:
    """By each value in turn, a missing value (None) after the others."""
    return tuple((value is None, value or "") for value in group)


def _row(record: FeedbackRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _FIELDS if name != "id"}


def _record(row: RowMapping) -> FeedbackRecord:
    return FeedbackRecord(**{name: row[name] for name in _FIELDS})
