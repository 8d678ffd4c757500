"""Request capture: a request's prompt and completion, kept with its usage record when asked.

Capture is off by default. When a request is selected, what went upstream (after the safety
layer redacted it) and what the client received are attached to the request's `UsageRecord`,
so they travel through the ledger's crash-safe spool and land in the same database transaction
as the record itself. Captures are deleted after their retention period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Capture:
    """The texts of one request, as they passed the gateway."""

    request: str
    """The request body as sent upstream (JSON text, after any redaction); when
    `request_truncated`, only its first `max_chars` characters (and no longer valid JSON)."""
    response: str | None = None
    """What the client received, as the JSON text `{"choices": [...]}` in the shape of a
    non-streamed reply (streams are assembled from their chunks); None when there was no
    reply with choices (embeddings, errors, a client that left before any)."""
    request_truncated: bool = False
    response_truncated: bool = False
    """The reply's text (contents, refusals, tool call names and arguments) passed
    `max_chars` and the rest was not kept; the JSON is still valid."""


@dataclass(frozen=True, slots=True)
class StoredCapture:
    """A capture as stored, with the request it belongs to."""

    request_id: str
    at: datetime
    """When the request arrived (timezone-aware), as in its usage record."""
    route: str
    subject: str
    """The consumer: key id, or the token's subject/app id."""
    capture: Capture


class CaptureStore(Protocol):
    """Where captures are read and purged (they are written with the usage ledger)."""

    async def get_many(self, request_ids: Sequence[str]) -> dict[str, StoredCapture]:
        """The captures of these requests, by request id; requests without one are left out."""
        ...

    async def purge(self, before: datetime) -> int:
        """Delete every capture of a request that arrived before `before`; how many went."""
        ...
