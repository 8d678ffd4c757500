"""Usage records for tests: one served request, changed only where a test cares."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql import open_sql_stores

SERVED: dict[str, object] = {
    "subject": "key-a",
    "team": "search",
    "model": "gpt-4o",
    "backend": "ptu-east",
    "status": 200,
}
"""Who asked what and who answered, unless a test says otherwise."""


def usage_record(request_id: str, at: datetime, **fields: object) -> UsageRecord:
    """The record of request `request_id` made at `at`: `SERVED`, with `fields` on top."""
    values = {**SERVED, **fields}
    return UsageRecord(request_id, at, **values)  # type: ignore[arg-type]


def write_records(database_url: str, records: Sequence[UsageRecord]) -> None:
    """Write `records` through the real SQL ledger (schema upgraded first on SQLite), as the
    gateway's ledger writer does."""

    async def write() -> None:
        stores = await open_sql_stores(database_url)
        try:
            await stores.ledger.write_batch(records)
        finally:
            await stores.close()

    asyncio.run(write())
