"""An in-memory usage ledger for the ledger writer's tests: it can be taken down, and it tells
what was written and asked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import datetime

from sluicegate.core.ledger import Dimension, UsageRecord, UsageTotals
from sluicegate.stores.sql.errors import StoreUnavailable


class MemoryLedger:
    """An idempotent in-memory ledger that can be taken down, reports each write and each
    lookup (the lookup the SQL ledger has)."""

    def __init__(self) -> None:
        self.stored: dict[str, UsageRecord] = {}
        """Every record written, by request id, in the order it was first written."""
        self.batches: list[int] = []
        """The size of each batch written."""
        self.calls: list[int] = []
        """The size of each batch offered, written or not."""
        self.asked: list[str] = []
        """The request ids looked up."""
        self.down = False
        self.wrote = asyncio.Event()

    async def write_batch(self, records: Sequence[UsageRecord]) -> None:
        self.calls.append(len(records))
        if self.down:
            raise StoreUnavailable("the database is unavailable while writing usage records")
        self.batches.append(len(records))
        for record in records:
            self.stored.setdefault(record.request_id, record)
        self.wrote.set()

    async def aggregate(
        self, by: Dimension, since: datetime | None = None, until: datetime | None = None
    ) -> list[UsageTotals]:
        raise NotImplementedError

    async def count(self) -> int:
        return len(self.stored)

    async def records(
        self,
        since: datetime,
        until: datetime,
        *,
        model: str | None = None,
        team: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[UsageRecord]:
        """As the SQL ledger: in time order (then the order written), without captures."""
        if self.down:
            raise StoreUnavailable("the database is unavailable while reading usage records")
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        kept = [
            record
            for record in self.stored.values()
            if since <= record.at < until
            and (model is None or record.model == model)
            and (team is None or record.team == team)
        ]
        kept.sort(key=lambda record: record.at)  # stable: ties stay in the order written
        for record in kept[:limit]:
            yield replace(record, capture=None)

    async def get(self, request_id: str) -> UsageRecord | None:
        self.asked.append(request_id)
        return self.stored.get(request_id)
