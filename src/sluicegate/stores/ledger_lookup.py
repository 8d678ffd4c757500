"""Finding a request's usage record the moment its reply is complete.

The ledger writer spools records and writes them to the database in batches, up to
`ledger.flush_interval_seconds` later. Feedback is often posted right after the reply, so the
lookup asks the writer for records it has accepted but not yet written before asking the
database. (Another replica's unwritten records are not visible here: a rating that reaches a
different replica than the request did may find the request only once its batch lands.)
"""

from __future__ import annotations

from typing import Protocol

from sluicegate.core.ledger import UsageRecord


class UnwrittenRecords(Protocol):
    """The writer's side: records spooled but not yet confirmed in the database."""

    def unwritten(self, request_id: str) -> UsageRecord | None: ...


class StoredRecords(Protocol):
    """The database's side: the ledger store's lookup by request id."""

    async def get(self, request_id: str) -> UsageRecord | None: ...


class LedgerLookup:
    """`core.feedback.RequestLookup` over the ledger writer and the ledger database."""

    __slots__ = ("_stored", "_writer")

    def __init__(self, writer: UnwrittenRecords | None, stored: StoredRecords) -> None:
        self._writer = writer
        self._stored = stored

    async def find(self, request_id: str) -> UsageRecord | None:
        # The writer first: a record it drops from its index has been written, so the
        # database has it by the time it is asked.
        if self._writer is not None:
            record = self._writer.unwritten(request_id)
            if record is not None:
                return record
        return await self._stored.get(request_id)
