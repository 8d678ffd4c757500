"""Retrying a request as the OpenAI SDKs do: which replies are retried, how long to wait (what
the server asks for, else exponential backoff with jitter) and when to give up.

The load benchmark and the evaluation client retry alike, so both build on `ExponentialBackoff`
with their own defaults. The gateway's cool-down reads the same headers with rules of its own
(`routing/retry_after.py`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar


def retriable(status: int) -> bool:
    """408, 409, 429 and any 5xx, as the OpenAI SDKs retry; 0 stands for no reply (connection
    refused or reset, timeout)."""
    return status in (0, 408, 409, 429) or status >= 500


@dataclass(frozen=True, slots=True, kw_only=True)
class ExponentialBackoff:
    """Waits that double from `base_seconds`, jittered, unless the server names its own."""

    max_attempts: int
    """Attempts in all, the first included."""
    base_seconds: float = 0.5
    """The first wait; each next one doubles, up to `max_seconds`."""
    max_seconds: float
    """Cap on one wait, also on a server's hint (a longer hint is capped, not ignored)."""
    rng: random.Random = field(default_factory=lambda: random.Random(0), compare=False)
    """Jitter: a backoff is drawn uniformly from [½, 1] of its nominal length."""

    attempts_name: ClassVar[str] = "max_attempts"
    """What a bad `max_attempts` is called in the error: the setting its user gave."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"{self.attempts_name} must be at least 1, got {self.max_attempts}")
        if self.base_seconds < 0 or self.max_seconds < 0:
            raise ValueError("backoff seconds must be 0 or more")

    def delay(
        self, attempt: int, status: int, headers: Mapping[str, str], now: datetime | None = None
    ) -> float | None:
        """Seconds to wait after attempt `attempt` (1-based) got `status`; None: do not retry."""
        if attempt >= self.max_attempts or not retriable(status):
            return None
        hint = server_hint(headers, now)
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
