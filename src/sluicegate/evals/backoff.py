"""When the evaluation client tries a request again: on 408, 409, 429, any 5xx and on no reply
at all, up to `--retries` attempts, with waits capped at a minute (see `wire/retry.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sluicegate.wire.retry import ExponentialBackoff


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff(ExponentialBackoff):
    """The evaluation client's defaults; a bad `--retries` is named as the user typed it."""

    max_attempts: int = 6
    max_seconds: float = 60.0

    attempts_name: ClassVar[str] = "--retries: attempts"
