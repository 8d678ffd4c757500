"""How hard and how long to load: closed loop (N clients back to back), open loop (arrivals at a
rate, constant or Poisson) or a replayed trace, bounded by a duration or a request count, after
a warm-up whose requests are sent but not counted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sluicegate.bench.schedule import Arrivals

Mode = Literal["closed", "open", "trace"]


@dataclass(frozen=True, slots=True)
class LoadPlan:
    mode: Mode = "closed"
    concurrency: int = 8
    """Closed loop: clients. Open loop and trace: ignored (see `max_connections`)."""
    rate: float | None = None
    """Open loop: requests per second."""
    arrivals: Arrivals = "constant"
    duration: float | None = 60.0
    """Seconds measured after the warm-up (closed/open: no request starts later)."""
    requests: int | None = None
    """Requests measured after the warm-up; with `duration`, whichever comes first."""
    warmup: float = 5.0
    """Seconds of requests sent first and left out of every figure."""
    seed: int = 0
    window: float = 5.0
    """Seconds per aggregation window (live view, JSONL lines, report plots)."""
    timeout: float = 300.0
    """Per attempt, from send to the last byte."""
    max_connections: int = 1000
    """Open loop and trace: most connections open at once (requests past it wait, and the wait
    counts in their latency)."""
    speed: float = 1.0
    """Trace: replay this many times faster than recorded."""

    def __post_init__(self) -> None:
        if self.duration is None and self.requests is None and self.mode != "trace":
            raise ValueError("give --duration or --requests")
        if self.duration is not None and self.duration <= 0:
            raise ValueError(f"--duration must be above 0 seconds, got {self.duration:g}")
        if self.requests is not None and self.requests < 1:
            raise ValueError(f"--requests must be at least 1, got {self.requests}")
        if self.warmup < 0:
            raise ValueError(f"--warmup must be 0 or more seconds, got {self.warmup:g}")
        if self.window <= 0:
            raise ValueError(f"--window must be above 0 seconds, got {self.window:g}")
        if self.timeout <= 0:
            raise ValueError(f"--timeout must be above 0 seconds, got {self.timeout:g}")
        if self.mode == "open" and (self.rate is None or self.rate <= 0):
            raise ValueError("open loop needs --rate above 0 requests per second")
        if self.mode == "closed" and not 1 <= self.concurrency <= 10_000:
            raise ValueError(f"--concurrency must be in 1..10000, got {self.concurrency}")
        if not 1 <= self.max_connections <= 100_000:
            raise ValueError(f"--max-connections must be in 1..100000, got {self.max_connections}")
        if self.speed <= 0:
            raise ValueError(f"--speed must be above 0, got {self.speed:g}")

    def describe(self) -> str:
        if self.mode == "closed":
            load = f"closed loop, {self.concurrency} clients"
        elif self.mode == "open":
            load = f"open loop, {self.arrivals} arrivals at {self.rate:g} req/s"
        else:
            load = f"trace replay at {self.speed:g}x"
        bounds = []
        if self.duration is not None:
            bounds.append(f"{self.duration:g} s")
        if self.requests is not None:
            bounds.append(f"{self.requests} requests")
        bound = " or ".join(bounds) if bounds else "the whole trace"
        return f"{load}; {bound} after {self.warmup:g} s warm-up"
