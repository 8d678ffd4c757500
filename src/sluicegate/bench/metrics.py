"""The formulas behind every figure `sluicegate bench` reports, each one small enough to check
by hand (docs/bench.md gives the same formulas in words)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

PERCENTILES = (50.0, 90.0, 95.0, 99.0)


def percentile(ordered: Sequence[float], pct: float) -> float | None:
    """Nearest rank: the smallest value with at least `pct` % of the samples at or below it,
    i.e. the ⌈pct/100 · n⌉-th smallest. `ordered` must be sorted; None when it is empty."""
    if not ordered:
        return None
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {pct}")
    rank = math.ceil(round(pct / 100.0 * len(ordered), 9))
    return ordered[max(1, rank) - 1]


def distribution(samples: Iterable[float]) -> dict[str, float | int | None]:
    """count, mean, p50, p90, p95, p99 and max of the samples (seconds stay seconds)."""
    ordered = sorted(samples)
    result: dict[str, float | int | None] = {
        "count": len(ordered),
        "mean": math.fsum(ordered) / len(ordered) if ordered else None,
    }
    for pct in PERCENTILES:
        result[f"p{pct:g}"] = percentile(ordered, pct)
    result["max"] = ordered[-1] if ordered else None
    return result


def time_between_tokens(e2e: float, ttft: float, generated_tokens: int) -> float | None:
    """TBT = (e2e − TTFT) / (generated tokens − 1): the mean gap between consecutive tokens
    after the first. Undefined (None) for fewer than two tokens."""
    if generated_tokens < 2:
        return None
    return max(0.0, e2e - ttft) / (generated_tokens - 1)


def per_minute(amount: float, seconds: float) -> float:
    """A count over `seconds` as a rate per minute (RPM, TPM): amount · 60 / seconds."""
    if seconds <= 0:
        return 0.0
    return amount * 60.0 / seconds


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


def spillover_share(served_by: Mapping[str, int], primary: str | None) -> float | None:
    """Requests served by any backend other than `primary`, over requests whose backend is
    known. None without a primary or without any request with a known backend."""
    known = sum(served_by.values())
    if primary is None or not known:
        return None
    return (known - served_by.get(primary, 0)) / known


def token_cost(
    prompt_tokens: int, generated_tokens: int, input_per_1m: float, output_per_1m: float
) -> float:
    """USD: prompt tokens · input price / 10⁶ + generated tokens · output price / 10⁶."""
    return (prompt_tokens * input_per_1m + generated_tokens * output_per_1m) / 1_000_000
