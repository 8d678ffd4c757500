"""What one benchmarked request came to: its times, tokens, status and who served it.

Times are seconds on the run's own clock (0 = the run began), so a saved run needs no wall
clock and two runs line up when compared.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from typing import Any


@dataclass(slots=True)
class Outcome:
    scheduled: float
    """When the request was due: its arrival in open loop, its send in closed loop. Every
    latency is measured from here, so time spent waiting to be sent counts."""
    sent: float
    """When the first attempt actually started (sent − scheduled is the generator's send lag)."""
    end: float
    """When the last byte of the final attempt arrived (or the request failed)."""
    first_token: float | None = None
    """When the first content delta arrived (None without one)."""
    status: int = 0
    """HTTP status of the final attempt; 0 when no reply came (connection error, timeout)."""
    error: str | None = None
    """None for a completed request; else a short reason (`status_429`, `timeout`, ...)."""
    prompt_tokens: int = 0
    generated_tokens: int = 0
    usage_reported: bool = False
    """Token counts came from the reply's usage block (else from content deltas and an
    estimate of the prompt)."""
    backend: str | None = None
    """`x-sluicegate-backend`: which backend of the gateway served it."""
    gateway_attempts: int | None = None
    """`x-sluicegate-attempts`: backends the gateway tried, the serving one included."""
    utilization: float | None = None
    """`azure-openai-deployment-utilization` of the reply, as a fraction."""
    throttles: int = 0
    """429 replies met on the way, retried ones included."""
    attempts: int = 1
    """Attempts the benchmark made (1 + its own retries)."""
    model: str = ""

    @property
    def completed(self) -> bool:
        return self.error is None

    @property
    def throttled(self) -> bool:
        """Its final answer was a 429."""
        return self.status == 429

    @property
    def e2e(self) -> float:
        return self.end - self.scheduled

    @property
    def ttft(self) -> float | None:
        return None if self.first_token is None else self.first_token - self.scheduled

    @property
    def send_lag(self) -> float:
        return max(0.0, self.sent - self.scheduled)


FIELDS = tuple(field.name for field in fields(Outcome))


def to_row(outcome: Outcome) -> list[Any]:
    """The outcome as a list in `FIELDS` order (a compact form for saved runs)."""
    return list(astuple(outcome))


def from_row(names: list[str], row: list[Any]) -> Outcome:
    """An outcome from a saved row; unknown columns are ignored, missing ones take defaults."""
    values = {name: value for name, value in zip(names, row, strict=True) if name in FIELDS}
    return Outcome(**values)
