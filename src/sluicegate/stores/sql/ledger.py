"""The usage ledger in SQL: `core.ledger.LedgerStore` on SQLite or PostgreSQL.

Writes are idempotent on `request_id` (`INSERT … ON CONFLICT DO NOTHING` on both databases), so
a batch replayed from a spool after a crash or an outage never charges a request twice. The
captures some records carry go to the `captures` table in the same transaction: both or neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Insert, RowMapping, case, func, select
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


class SqlLedgerStore:
    """Usage records, written in batches and summed for chargeback reports."""

    def __init__(self, database: Database) -> None:
        self._db = database
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


def _row(record: UsageRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _FIELDS}


def _record(row: RowMapping) -> UsageRecord:
    return UsageRecord(**{name: row[name] for name in _FIELDS})
