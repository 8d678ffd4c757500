"""How long to leave a backend alone after it pushed back, read from its reply headers.

Sources, first usable one wins: `retry-after-ms` (Azure OpenAI PTU), `Retry-After` (seconds,
possibly fractional, or an HTTP date), then the larger of OpenAI's `x-ratelimit-reset-requests`
and `x-ratelimit-reset-tokens` (Go-style durations such as `6m0s` or `20ms`). A value that does
not parse, is negative or is not finite is skipped rather than trusted or allowed to raise:
upstream headers are input, and a bad one must not turn a failover into a crash.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime

_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)")
_DURATION = re.compile(r"(?:(?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|m|s|us|µs|ns))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}

_RETRY_AFTER_MS = "retry-after-ms"
_RETRY_AFTER = "retry-after"
_RESET_REQUESTS = "x-ratelimit-reset-requests"
_RESET_TOKENS = "x-ratelimit-reset-tokens"
_WANTED = frozenset({_RETRY_AFTER_MS, _RETRY_AFTER, _RESET_REQUESTS, _RESET_TOKENS})


def cooldown_seconds(
    headers: Mapping[str, str],
    *,
    now_wall: float,
    default: float,
    maximum: float,
    use_reset_headers: bool = True,
) -> float:
    """Seconds to cool a backend down, clamped to [0, maximum].

    `now_wall` is the wall-clock time (epoch seconds) an HTTP date is measured against.
    `use_reset_headers=False` considers only explicit retry headers: OpenAI sends its
    `x-ratelimit-reset-*` headers on every reply, so they mean "retry then" only on a 429.
    """
    found = _collect(headers)
    seconds = _milliseconds(found.get(_RETRY_AFTER_MS))
    if seconds is None:
        seconds = _retry_after(found.get(_RETRY_AFTER), now_wall)
    if seconds is None and use_reset_headers:
        seconds = _larger(
            _duration(found.get(_RESET_REQUESTS)), _duration(found.get(_RESET_TOKENS))
        )
    if seconds is None:
        seconds = default
    return min(max(seconds, 0.0), max(maximum, 0.0))


def _collect(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers of interest, by lower-case name, whatever case or mapping type came in."""
    found: dict[str, str] = {}
    for key, value in headers.items():
        lowered = key.lower()
        if lowered in _WANTED and lowered not in found:
            found[lowered] = value
    return found


def _number(text: str) -> float | None:
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _milliseconds(value: str | None) -> float | None:
    if value is None:
        return None
    number = _number(value)
    return None if number is None else number / 1000.0


def _retry_after(value: str | None, now_wall: float) -> float | None:
    """Delta seconds or an HTTP date; a date already past means "now" (0)."""
    if value is None:
        return None
    number = _number(value)
    if number is not None:
        return number
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        delta = when.timestamp() - now_wall
    except (OverflowError, OSError, ValueError):
        return None
    return max(delta, 0.0) if math.isfinite(delta) else None


def _duration(value: str | None) -> float | None:
    """An OpenAI reset duration (`1s`, `6m0s`, `20ms`, `1h2m3.5s`) or plain seconds."""
    if value is None:
        return None
    text = value.strip()
    number = _number(text)
    if number is not None:
        return number
    if not _DURATION.fullmatch(text):
        return None
    total = sum(
        float(amount) * _UNIT_SECONDS[unit] for amount, unit in _DURATION_PART.findall(text)
    )
    return total if math.isfinite(total) else None


def _larger(first: float | None, second: float | None) -> float | None:
    if first is None:
        return second
    if second is None:
        return first
    return max(first, second)
