"""Settings for request capture: prompts and completions kept with the usage record.

Off by default, because prompts and completions are the most sensitive data a gateway sees.
"""

from __future__ import annotations

from pydantic import Field

from sluicegate.config.strict import Strict


class CaptureSettings(Strict):
    enabled: bool = False
    """Keep the prompt and completion of the selected requests with their usage record (needs
    the ledger)."""
    routes: list[str] = Field(default_factory=list)
    """Model routes (keys of `models`) to capture; empty: every route."""
    teams: list[str] = Field(default_factory=list)
    """Teams to capture; empty: every team."""
    subjects: list[str] = Field(default_factory=list)
    """Consumers to capture: key ids or token subjects; empty: every consumer. A request is
    captured when it matches every list that is not empty."""
    retention_days: float = Field(default=30.0, gt=0, le=3650)
    """Captures older than this are deleted, also after capture is turned off."""
    max_chars: int = Field(default=32_000, ge=256, le=10_000_000)
    """The most characters kept per side (request JSON; reply text); the rest is cut and the
    capture marked truncated."""
    purge_interval_seconds: float = Field(default=3600.0, ge=1, le=7 * 86_400)
    """How often the gateway deletes captures past their retention."""
