"""When open-loop requests are due: a constant rate, Poisson arrivals, or a replayed trace.

A schedule is a sequence of offsets in seconds from the start of the run; the generator sends
request i at offset i whatever happened to the earlier ones, which is what makes latency from
the scheduled time honest under overload.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Literal

Arrivals = Literal["constant", "poisson"]


def constant_offsets(rate: float, start: float = 0.0) -> Iterator[float]:
    """start, start + 1/R, start + 2/R, ... (computed as start + i/R, so no drift builds up)."""
    if rate <= 0:
        raise ValueError(f"rate must be above 0 req/s, got {rate}")
    index = 0
    while True:
        yield start + index / rate
        index += 1


def poisson_offsets(rate: float, rng: random.Random, start: float = 0.0) -> Iterator[float]:
    """A Poisson process of rate R: gaps drawn from an exponential distribution of mean 1/R,
    the first arrival at `start`."""
    if rate <= 0:
        raise ValueError(f"rate must be above 0 req/s, got {rate}")
    offset = start
    while True:
        yield offset
        offset += rng.expovariate(rate)


def arrival_offsets(arrivals: Arrivals, rate: float, seed: int) -> Iterator[float]:
    if arrivals == "poisson":
        return poisson_offsets(rate, random.Random(seed))
    return constant_offsets(rate)
