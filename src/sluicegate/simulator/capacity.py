"""Admission of requests against a deployment's capacity: PTU (tokens) or PAYG (TPM and RPM).

Both charge a request's whole cost (prompt + completion tokens) when it is admitted, into a
sliding window whose capacity is the per-minute figure scaled to the window's length.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from sluicegate.config.simulator import SimDeployment
from sluicegate.simulator.window import SlidingWindow
from sluicegate.wire.utilization import UTILIZATION_HEADER, format_utilization

__all__ = [
    "UTILIZATION_HEADER",
    "Admission",
    "Limiter",
    "PaygLimits",
    "PtuCapacity",
    "build_limiter",
    "format_utilization",
    "per_window",
    "retry_headers",
]


@dataclass(frozen=True, slots=True)
class Admission:
    admitted: bool
    retry_after: float = 0.0
    """Seconds until the request would fit (0 when admitted)."""
    limit: Literal["tokens", "requests"] = "tokens"
    """Which limit refused the request."""


class Limiter(Protocol):
    def try_admit(self, tokens: int) -> Admission: ...

    def utilization(self) -> float:
        """Fraction of the window's capacity in use (may pass 1 after an oversized request)."""
        ...

    def headers(self) -> dict[str, str]:
        """Headers describing the capacity, sent on every reply of the deployment."""
        ...

    def describe(self) -> str:
        """The limit in words, for the message of a 429."""
        ...

    def clear(self) -> None: ...


def per_window(per_minute: int, window: SlidingWindow) -> float:
    return per_minute * window.seconds / 60.0


class PtuCapacity:
    """A provisioned deployment: a fixed token throughput, reported as utilization."""

    __slots__ = ("_capacity", "_capacity_tpm", "_tokens")

    def __init__(self, capacity_tpm: int, window_seconds: float, now: Callable[[], float]) -> None:
        self._tokens = SlidingWindow(window_seconds, now)
        self._capacity_tpm = capacity_tpm
        self._capacity = per_window(capacity_tpm, self._tokens)

    def try_admit(self, tokens: int) -> Admission:
        if not self._tokens.fits(tokens, self._capacity):
            return Admission(False, self._tokens.wait_for(tokens, self._capacity), "tokens")
        self._tokens.charge(tokens)
        return Admission(True)

    def utilization(self) -> float:
        return self._tokens.total() / self._capacity

    def headers(self) -> dict[str, str]:
        return {UTILIZATION_HEADER: format_utilization(self.utilization())}

    def describe(self) -> str:
        return f"the provisioned capacity of {self._capacity_tpm} tokens per minute"

    def clear(self) -> None:
        self._tokens.clear()


class PaygLimits:
    """A pay-as-you-go deployment: optional tokens- and requests-per-minute limits.

    The `x-ratelimit-limit-*` headers give the window's capacity (the per-minute limit when the
    window is 60 s), so remaining / limit is always the share of the window still free.
    """

    __slots__ = ("_requests", "_rpm", "_tokens", "_tpm")

    def __init__(
        self, tpm: int | None, rpm: int | None, window_seconds: float, now: Callable[[], float]
    ) -> None:
        self._tpm, self._rpm = tpm, rpm
        self._tokens = SlidingWindow(window_seconds, now)
        self._requests = SlidingWindow(window_seconds, now)

    def try_admit(self, tokens: int) -> Admission:
        refusals: list[Admission] = []
        if self._tpm is not None:
            capacity = per_window(self._tpm, self._tokens)
            if not self._tokens.fits(tokens, capacity):
                refusals.append(Admission(False, self._tokens.wait_for(tokens, capacity)))
        if self._rpm is not None:
            capacity = per_window(self._rpm, self._requests)
            if not self._requests.fits(1, capacity):
                wait = self._requests.wait_for(1, capacity)
                refusals.append(Admission(False, wait, "requests"))
        if refusals:
            return max(refusals, key=lambda refusal: refusal.retry_after)
        self._tokens.charge(tokens)
        self._requests.charge(1)
        return Admission(True)

    def utilization(self) -> float:
        shares = [0.0]
        if self._tpm is not None:
            shares.append(self._tokens.total() / per_window(self._tpm, self._tokens))
        if self._rpm is not None:
            shares.append(self._requests.total() / per_window(self._rpm, self._requests))
        return max(shares)

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self._rpm is not None:
            limit = per_window(self._rpm, self._requests)
            headers["x-ratelimit-limit-requests"] = str(max(1, math.floor(limit)))
            headers["x-ratelimit-remaining-requests"] = _remaining(limit, self._requests)
        if self._tpm is not None:
            limit = per_window(self._tpm, self._tokens)
            headers["x-ratelimit-limit-tokens"] = str(max(1, math.floor(limit)))
            headers["x-ratelimit-remaining-tokens"] = _remaining(limit, self._tokens)
        return headers

    def describe(self) -> str:
        parts = []
        if self._tpm is not None:
            parts.append(f"{self._tpm} tokens per minute")
        if self._rpm is not None:
            parts.append(f"{self._rpm} requests per minute")
        return "the rate limit of " + " and ".join(parts)

    def clear(self) -> None:
        self._tokens.clear()
        self._requests.clear()


def build_limiter(deployment: SimDeployment, now: Callable[[], float]) -> Limiter:
    if deployment.kind == "ptu":
        assert deployment.capacity_tpm is not None  # guaranteed by SimDeployment's validator
        return PtuCapacity(deployment.capacity_tpm, deployment.window_seconds, now)
    return PaygLimits(deployment.tpm, deployment.rpm, deployment.window_seconds, now)


def retry_headers(seconds: float) -> dict[str, str]:
    """`retry-after-ms` (whole milliseconds) and `Retry-After` (whole seconds, rounded up)."""
    milliseconds = max(1, math.ceil(round(seconds * 1000, 6)))
    return {"retry-after-ms": str(milliseconds), "Retry-After": str(math.ceil(milliseconds / 1000))}


def _remaining(capacity: float, window: SlidingWindow) -> str:
    return str(max(0, math.floor(capacity - window.total())))
