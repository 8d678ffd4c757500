"""Client-side retries, as an application would do them: none, or exponential backoff that
waits what the server asks for (`retry-after-ms`, then `Retry-After`) when it says."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

RETRIABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
"""Statuses the OpenAI SDKs retry; 0 (no reply: connection error, timeout) is retried too."""

RetryMode = Literal["none", "exponential"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    mode: RetryMode = "none"
    max_attempts: int = 5
    """Attempts in all, the first included."""
    base_seconds: float = 0.5
    """The first backoff; each next one doubles, up to `max_seconds`."""
    max_seconds: float = 30.0
    """Cap on one wait, also on a server's hint (a hint beyond it is capped, not ignored)."""
    rng: random.Random = field(default_factory=lambda: random.Random(0), compare=False)
    """Jitter source: a backoff is drawn uniformly from [½, 1] of its nominal length."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_seconds < 0 or self.max_seconds < 0:
            raise ValueError("backoff seconds must be 0 or more")

    def delay(self, attempt: int, status: int, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait before attempt `attempt + 1` after attempt `attempt` (1-based) got
        `status`; None when the request must not be retried."""
        if self.mode == "none" or attempt >= self.max_attempts:
            return None
        if status and status not in RETRIABLE_STATUSES:
            return None
        hint = server_hint(headers)
        if hint is not None:
            return min(hint, self.max_seconds)
        nominal = min(self.max_seconds, self.base_seconds * 2.0 ** (attempt - 1))
        jitter: float = self.rng.uniform(0.5, 1.0)
        return nominal * jitter


def server_hint(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds the server asked to wait: `retry-after-ms` (milliseconds, fractions allowed),
    else `Retry-After` (seconds or an HTTP date). Malformed or negative values are ignored."""
    lowered = {name.lower(): value for name, value in headers.items()}
    millis = _number(lowered.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    value = lowered.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number
