"""The usage ledger and the audit log: what was spent, by whom, and who changed what.

Every accepted request produces exactly one `UsageRecord`. Writers may replay a record (after a
crash, from a spool), so a `LedgerStore` is idempotent on `request_id`: replaying never
double-charges. Times are timezone-aware; stores keep them in UTC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from sluicegate.core.capture import Capture

Dimension = Literal["team", "key", "model", "backend"]
"""What a usage report groups by; `key` is the consumer (key id or token subject)."""

DIMENSIONS: tuple[Dimension, ...] = ("team", "key", "model", "backend")


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (for example datetime.now(UTC))")


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One accepted request, as charged."""

    request_id: str
    at: datetime
    """When the request arrived (timezone-aware)."""
    subject: str
    """The consumer: key id, or the token's subject/app id."""
    team: str
    model: str
    """The configured model route the request matched."""
    backend: str | None
    """The backend that served it; None when no backend answered."""
    status: int
    deployment: str | None = None
    attempts: int = 1
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost: float = 0.0
    """In USD."""
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    prompt_version: str | None = None
    billing: str | None = None
    """`ptu` (prepaid provisioned throughput) or `paygo` (billed per token); None when no
    backend answered or its kind is unknown."""
    stream: bool | None = None
    """Whether the client asked for a streamed reply; None for records stored before the
    ledger kept it."""
    capture: Capture | None = None
    """The request's prompt and completion, when capture selected it (off by default)."""

    def __post_init__(self) -> None:
        if not self.request_id:
            raise ValueError("request_id must not be empty")
        _require_aware("at", self.at)
        counts = {
            "attempts": self.attempts,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
        }
        for name, count in counts.items():
            if count < 0:
                raise ValueError(f"{name} must not be negative, got {count}")
        if self.cost < 0 or self.latency_ms < 0 or (self.ttft_ms is not None and self.ttft_ms < 0):
            raise ValueError("cost, latency_ms and ttft_ms must not be negative")

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class UsageTotals:
    """The sum of the usage records of one group (one team, key, model or backend)."""

    group: str | None
    """The team, key, model or backend; None for records without one (no backend answered)."""
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost: float
    ptu_tokens: int = 0
    """Prompt plus completion tokens of the records billed `ptu`: what the group drew from
    prepaid provisioned capacity, as opposed to tokens billed per use."""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class LedgerStore(Protocol):
    """Where usage records are kept and summed for chargeback reports."""

    async def write_batch(self, records: Sequence[UsageRecord]) -> None:
        """Store the records; a record whose request_id is already stored is skipped."""
        ...

    async def aggregate(
        self, by: Dimension, since: datetime | None = None, until: datetime | None = None
    ) -> list[UsageTotals]:
        """Totals per group for records with `since <= at < until`, ordered by group (a
        None group last); `ptu_tokens` sums the tokens of the records billed `ptu`."""
        ...

    async def count(self) -> int: ...

    def records(
        self,
        since: datetime,
        until: datetime,
        *,
        model: str | None = None,
        team: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[UsageRecord]:
        """The records with `since <= at < until` (of one model route and one team when
        given), oldest first (records of the same instant in the order they were stored), at
        most `limit` of them.

        Read in batches as the caller iterates, so an export of a month never holds the month
        in memory; records come without their capture.
        """
        ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One administrative action: who did what to which object, and when."""

    at: datetime
    actor: str
    action: str
    """For example `key.create`, `key.revoke`."""
    target: str
    details: Mapping[str, object] = field(default_factory=dict)
    """JSON-serialisable context; never secrets."""
    id: int | None = None
    """Assigned by the store; it orders entries by the time they were appended."""

    def __post_init__(self) -> None:
        _require_aware("at", self.at)
        if not self.actor or not self.action:
            raise ValueError("an audit entry needs an actor and an action")


class AuditLog(Protocol):
    """An append-only log of administrative actions."""

    async def append(self, entry: AuditEntry) -> int:
        """Store the entry and return its id."""
        ...

    async def list(self, since: datetime | None = None, limit: int = 100) -> list[AuditEntry]:
        """Entries with `at >= since`, oldest first, in the order they were appended."""
        ...
