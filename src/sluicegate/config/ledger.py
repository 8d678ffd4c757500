"""Settings for the usage ledger: one record per accepted request, never lost.

Records go to a local append-only spool before a reply is complete, and from there to the
database in batches, so a crash or a database outage loses nothing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sluicegate.config.strict import Strict


class LedgerSettings(Strict):
    enabled: bool = True
    spool_dir: str | None = None
    """Where records wait for the database; one directory per replica. Unset: `usage-spool`
    beside a SQLite database, else `./usage-spool`. `SLUICEGATE_LEDGER_SPOOL_DIR` overrides."""
    batch_size: int = Field(default=100, ge=1, le=100_000)
    """Records per database write. The write's Python side runs on the event loop, so small
    batches keep each pause short (about 2 ms for 100 records)."""
    flush_interval_seconds: float = Field(default=0.5, gt=0, le=60)
    """The longest a record waits for its batch to fill."""
    fsync: Literal["interval", "always"] = "interval"
    """`interval`: a killed process loses nothing (records reach the kernel at once); a power
    loss may lose the last `fsync_interval_ms`. `always`: nothing lost even then, one disk flush
    per request (shared by concurrent requests)."""
    fsync_interval_ms: float = Field(default=50.0, gt=0, le=10_000)
    max_spool_bytes: int = Field(default=1024**3, ge=1024**2)
    """Past this many unwritten bytes the writer logs loudly; it keeps spooling (never drops)."""
    stop_deadline_seconds: float = Field(default=5.0, ge=0, le=300)
    """On shutdown, how long to keep writing to the database; the rest is replayed at start."""
