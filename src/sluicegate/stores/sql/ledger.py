"""The usage ledger in SQL: `core.ledger.LedgerStore` on SQLite or PostgreSQL.

Writes are idempotent on `request_id` (`INSERT … ON CONFLICT DO NOTHING` on both databases), so
a batch replayed from a spool after a crash or an outage never charges a request twice. The
captures some records carry go to the `captures` table in the same transaction: both or neither.

`records` reads a range in time order with keyset paging on (`at`, `id`): each batch is one
short query that starts where the last one ended, so an export of a month holds one batch in
memory and no connection stays open while the caller writes what it got.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Insert, RowMapping, Select, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from sluicegate.core.ledger import DIMENSIONS, Dimension, UsageRecord, UsageTotals
from sluicegate.stores.sql.captures import capture_insert, capture_rows
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated
from sluicegate.stores.sql.schema import usage_records
from sluicegate.stores.sql.types import require_aware

_GROUP_COLUMNS: dict[Dimension, ColumnElement[Any]] = {
    "team": usage_records.c.team,
    "key": usage_records.c.subject,
    "model": usage_records.c.model,
    "backend": usage_records.c.backend,
}
PTU = "ptu"
"""The `billing` of a record served from prepaid provisioned throughput."""
_FIELDS = tuple(column.name for column in usage_records.columns if column.name != "id")
RECORD_BATCH = 1000
"""Records read per query by `records`."""


class SqlLedgerStore:
    """Usage records, written in batches, summed for chargeback reports and read back in time
    order for exports."""

    def __init__(self, database: Database, *, record_batch: int = RECORD_BATCH) -> None:
        if record_batch < 1:
            raise ValueError(f"record_batch must be at least 1, got {record_batch}")
        self._db = database
        self._record_batch = record_batch
        self._insert = _idempotent_insert(database)
        self._capture_insert = capture_insert(database)

    async def write_batch(self, records: Sequence[UsageRecord]) -> None:
        """Store the records (and their captures) in one transaction; already stored request
        ids are skipped."""
        if not records:
            return
        rows = [_row(record) for record in records]
        captured = capture_rows(records)
        async with translated("writing usage records"), self._db.writer.begin() as conn:
            await conn.execute(self._insert, rows)
            if captured:
                await conn.execute(self._capture_insert, captured)

    async def aggregate(
        self, by: Dimension, since: datetime | None = None, until: datetime | None = None
    ) -> list[UsageTotals]:
        """Totals per group for records with `since <= at < until`, ordered by group (a
        None group last); `ptu_tokens` sums the tokens of the records billed `ptu`."""
        if by not in _GROUP_COLUMNS:
            raise ValueError(f"cannot group usage by {by!r}; use one of {', '.join(DIMENSIONS)}")
        require_aware("since", since)
        require_aware("until", until)
        group = _GROUP_COLUMNS[by]
        t = usage_records.c
        ptu_tokens = case((t.billing == PTU, t.prompt_tokens + t.completion_tokens), else_=0)
        query = select(
            group,
            func.count(),
            func.coalesce(func.sum(t.prompt_tokens), 0),
            func.coalesce(func.sum(t.completion_tokens), 0),
            func.coalesce(func.sum(t.cached_tokens), 0),
            func.coalesce(func.sum(t.cost), 0.0),
            func.coalesce(func.sum(ptu_tokens), 0),
        ).group_by(group)
        if since is not None:
            query = query.where(t.at >= since)
        if until is not None:
            query = query.where(t.at < until)
        async with translated("summing usage"), self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        totals = [
            UsageTotals(
                group=name,
                requests=int(requests),
                prompt_tokens=int(prompt),
                completion_tokens=int(completion),
                cached_tokens=int(cached),
                cost=float(cost),
                ptu_tokens=int(ptu),
            )
            for name, requests, prompt, completion, cached, cost, ptu in rows
        ]
        return sorted(totals, key=lambda total: (total.group is None, total.group or ""))

    async def count(self) -> int:
        query = select(func.count()).select_from(usage_records)
        async with translated("counting usage records"), self._db.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def records(
        self,
        since: datetime,
        until: datetime,
        *,
        model: str | None = None,
        team: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[UsageRecord]:
        """The records with `since <= at < until` (of `model` and `team` when given), oldest
        first, at most `limit`; read `record_batch` at a time as the caller iterates."""
        require_aware("since", since)
        require_aware("until", until)
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        t = usage_records.c
        query = select(usage_records).where(t.at >= since, t.at < until)
        if model is not None:
            query = query.where(t.model == model)
        if team is not None:
            query = query.where(t.team == team)
        query = query.order_by(t.at, t.id)
        left = limit
        after: RowMapping | None = None
        while left is None or left > 0:
            size = self._record_batch if left is None else min(self._record_batch, left)
            rows = await self._batch(_after(query, after), size)
            for row in rows:
                yield _record(row)
            if len(rows) < size:
                return
            after = rows[-1]
            if left is not None:
                left -= len(rows)

    async def _batch(self, query: Select[Any], size: int) -> Sequence[RowMapping]:
        async with translated("reading usage records"), self._db.engine.connect() as conn:
            rows: Sequence[RowMapping] = (await conn.execute(query.limit(size))).mappings().all()
        return rows

    async def get(self, request_id: str) -> UsageRecord | None:
        """One request's record, for support questions and crash-recovery checks."""
        query = select(usage_records).where(usage_records.c.request_id == request_id)
        async with translated("reading a usage record"), self._db.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else _record(row)


def _idempotent_insert(database: Database) -> Insert:
    if database.dialect == "postgresql":
        return postgresql.insert(usage_records).on_conflict_do_nothing(
            index_elements=["request_id"]
        )
    return sqlite.insert(usage_records).on_conflict_do_nothing(index_elements=["request_id"])


def _after(query: Select[Any], last: RowMapping | None) -> Select[Any]:
    """`query` past the row `last` in (`at`, `id`) order; the plain `at >=` lets the database
    start from the index on `at` (or on `model`/`team` and `at`)."""
    if last is None:
        return query
    t = usage_records.c
    return query.where(t.at >= last["at"], or_(t.at > last["at"], t.id > last["id"]))


def _row(record: UsageRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _FIELDS}


def _record(row: RowMapping) -> UsageRecord:
    return UsageRecord(**{name: row[name] for name in _FIELDS})
