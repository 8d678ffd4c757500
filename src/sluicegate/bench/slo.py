"""Service-level objectives, the verdict of a run against them, goodput, and the rates a sweep
steps through."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sluicegate.bench.metrics import PERCENTILES
from sluicegate.bench.outcome import Outcome


@dataclass(frozen=True, slots=True)
class Slo:
    percentile: float = 95.0
    ttft_s: float | None = 1.0
    e2e_s: float | None = None
    tbt_s: float | None = None
    max_throttled: int = 0
    """429 replies allowed (retried ones included)."""
    max_failed_share: float = 0.0
    """Share of requests allowed to fail for other reasons."""

    def __post_init__(self) -> None:
        if self.percentile not in PERCENTILES:
            choices = ", ".join(f"{p:g}" for p in PERCENTILES)
            raise ValueError(f"--slo-percentile must be one of {choices}, got {self.percentile:g}")
        for name in ("ttft_s", "e2e_s", "tbt_s"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"an SLO latency must be above 0 seconds, got {value:g}")
        if self.max_throttled < 0 or not 0 <= self.max_failed_share <= 1:
            raise ValueError("--slo-max-429 must be 0 or more; --slo-max-failed in 0..1")

    def describe(self) -> str:
        key = f"p{self.percentile:g}"
        parts = [
            f"{key} {name} ≤ {limit * 1000:g} ms"
            for name, limit in (("TTFT", self.ttft_s), ("e2e", self.e2e_s), ("TBT", self.tbt_s))
            if limit is not None
        ]
        parts.append(f"at most {self.max_throttled} 429s")
        parts.append(f"at most {self.max_failed_share:.1%} failed")
        return ", ".join(parts)

    def violations(self, summary: dict[str, Any]) -> list[str]:
        """Why a run's summary misses the objectives (empty when it meets them)."""
        reasons: list[str] = []
        if not summary.get("completed"):
            return ["no request completed"]
        key = f"p{self.percentile:g}"
        for name, metric, limit in (
            ("TTFT", "ttft", self.ttft_s),
            ("e2e", "e2e", self.e2e_s),
            ("TBT", "tbt", self.tbt_s),
        ):
            value = summary[metric].get(key)
            if limit is not None and (value is None or value > limit):
                shown = "none" if value is None else f"{value * 1000:.0f} ms"
                reasons.append(f"{key} {name} {shown} > {limit * 1000:g} ms")
        if summary["throttle_responses"] > self.max_throttled:
            reasons.append(f"{summary['throttle_responses']} 429s > {self.max_throttled}")
        failed = summary["failed"] / max(1, summary["requests"])
        if failed > self.max_failed_share:
            reasons.append(f"{failed:.1%} failed > {self.max_failed_share:.1%}")
        return reasons

    def good(self, outcome: Outcome) -> bool:
        """Whether one request met the per-request objectives (completed, within latencies)."""
        if not outcome.completed:
            return False
        ttft = outcome.ttft
        if self.ttft_s is not None and (ttft is None or ttft > self.ttft_s):
            return False
        return self.e2e_s is None or outcome.e2e <= self.e2e_s


def goodput(outcomes: Sequence[Outcome], slo: Slo, seconds: float) -> float:
    """Requests per second that completed within the per-request objectives."""
    if seconds <= 0:
        return 0.0
    return sum(1 for outcome in outcomes if slo.good(outcome)) / seconds


def sweep_rates(spec: str) -> list[float]:
    """`START:STOP:STEP` (req/s, STOP included) as the list of rates to try."""
    parts = spec.split(":")
    try:
        start, stop, step = (float(part) for part in parts)
    except ValueError:
        raise ValueError(
            f"--sweep must be START:STOP:STEP in req/s (e.g. 5:50:5), got {spec!r}"
        ) from None
    if start <= 0 or step <= 0 or stop < start:
        raise ValueError(f"--sweep {spec}: need 0 < START ≤ STOP and STEP > 0")
    count = int((stop - start) / step + 1e-9) + 1
    if count > 200:
        raise ValueError(f"--sweep {spec}: {count} steps; use at most 200")
    return [round(start + index * step, 9) for index in range(count)]
