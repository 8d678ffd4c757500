"""Per-request `x-sim-*` headers, so a test can script exactly what one request meets."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    ERROR = "error"
    """Answer 500 with an error body."""
    RESET = "reset"
    """Close the connection without a reply."""
    DROP = "drop"
    """Start the reply, then close the connection."""
    HANG = "hang"
    """Never answer, until the client goes away."""


class OverrideError(ValueError):
    """An `x-sim-*` header with a value the simulator cannot use; `header` names it."""

    def __init__(self, header: str, message: str) -> None:
        super().__init__(f"header {header}: {message}")
        self.header = header


@dataclass(frozen=True, slots=True)
class Overrides:
    fault: Fault | None = None
    status: int | None = None
    retry_after_ms: str | None = None
    retry_after: str | None = None
    ttft_ms: float | None = None
    tokens_per_second: float | None = None
    completion_tokens: int | None = None
    drop_after: int | None = None
    reply: str | None = None
    """The exact text to answer with (split into one token per word), instead of sampled words."""


NONE = Overrides()


def parse_overrides(headers: Mapping[str, str]) -> Overrides:
    """Read the `x-sim-*` headers; none present (the common case) costs one lookup each."""
    if not any(name.lower().startswith("x-sim-") for name in headers):
        return NONE
    return Overrides(
        fault=_fault(headers.get("x-sim-fault")),
        status=_integer(headers, "x-sim-status", 400, 599),
        retry_after_ms=_raw(headers, "x-sim-retry-after-ms"),
        retry_after=_raw(headers, "x-sim-retry-after"),
        ttft_ms=_number(headers, "x-sim-ttft-ms"),
        tokens_per_second=_number(headers, "x-sim-tokens-per-second"),
        completion_tokens=_integer(headers, "x-sim-completion-tokens", 0, 1_000_000),
        drop_after=_integer(headers, "x-sim-drop-after", 0, 1_000_000),
        reply=headers.get("x-sim-reply"),
    )


def _fault(value: str | None) -> Fault | None:
    if value is None:
        return None
    try:
        return Fault(value.strip().lower())
    except ValueError:
        choices = ", ".join(fault.value for fault in Fault)
        raise OverrideError("x-sim-fault", f"'{value}' is not one of: {choices}") from None


def _raw(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    return value.strip() if value is not None else None


def _integer(headers: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        raise OverrideError(name, f"'{value}' is not an integer") from None
    if not low <= number <= high:
        raise OverrideError(name, f"{number} is outside {low}..{high}")
    return number


def _number(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        raise OverrideError(name, f"'{value}' is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise OverrideError(name, f"{value} must be a finite number, 0 or more")
    return number
