"""Stand-ins around the real SQL ledger for the writer's failure tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql import SqlLedgerStore


class StallingLedger:
    """Writes `batches` batches, then hangs in every write: a process dying mid-write."""

    def __init__(self, inner: SqlLedgerStore, batches: int) -> None:
        self.inner = inner
        self.left = batches
        self.stalled = asyncio.Event()

    async def write_batch(self, records: Sequence[UsageRecord]) -> None:
        if self.left == 0:
            self.stalled.set()
            await asyncio.Event().wait()
        self.left -= 1
        await self.inner.write_batch(records)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)
