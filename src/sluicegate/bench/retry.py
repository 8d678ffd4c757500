"""Client-side retries, as an application would do them: none, or exponential backoff that
waits what the server asks for (`retry-after-ms`, then `Retry-After`) when it says."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sluicegate.wire.retry import ExponentialBackoff

RetryMode = Literal["none", "exponential"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy(ExponentialBackoff):
    """`--retry` and its settings; with mode `none` the first reply is final."""

    mode: RetryMode = field(default="none", kw_only=False)
    max_attempts: int = 5
    max_seconds: float = 30.0

    def delay(
        self, attempt: int, status: int, headers: Mapping[str, str], now: datetime | None = None
    ) -> float | None:
        if self.mode == "none":
            return None
        return ExponentialBackoff.delay(self, attempt, status, headers, now)
