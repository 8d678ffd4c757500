"""Where the usage policy hands finished requests: a narrow protocol, so policies never import
the stores that make records durable and write them to the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sluicegate.core.ledger import UsageRecord


class UsageSink(Protocol):
    """Takes one usage record per accepted request."""

    async def record(self, record: UsageRecord) -> None:
        """Make the record durable (as the sink is configured) before returning.

        Writing it to the ledger happens later, off the request path. Never raises: a sink
        that cannot keep a record logs and counts it instead, because the reply has already
        been decided and a failing hook would stop the hooks after it.
        """
        ...


@dataclass(frozen=True, slots=True)
class LedgerLag:
    """How far the ledger is behind the requests served, and what went wrong: for metrics."""

    pending: int
    """Records made durable locally but not yet confirmed written to the ledger."""
    oldest_pending_age_s: float
    """Seconds since the oldest pending record was spooled; 0 when nothing is pending."""
    spool_bytes: int
    """Bytes the local spool takes on disk."""
    over_cap: bool
    """The spooled backlog is larger than its configured cap (it keeps growing; see the
    writer)."""
    written: int
    """Records confirmed written since start-up (replayed ones included)."""
    write_failures: int
    """Batches the ledger refused or failed since start-up (each one retried)."""
    cap_reached: int
    """Times the spool grew past its cap."""
    dropped: int
    """Records that could not be spooled at all (the disk refused the write)."""
    corrupt: int
    """Spool lines skipped on replay: torn by a crash, or failing their checksum."""
