"""From request outcomes to the figures of a window or a whole run.

Tokens and requests count when a request *completes*; latencies are measured from its scheduled
time. A run's span runs from the first measured request's scheduled time to the last measured
completion; a window is a fixed slice of the run's clock and holds the requests that completed
in it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sluicegate.bench.metrics import (
    distribution,
    per_minute,
    share,
    spillover_share,
    time_between_tokens,
    token_cost,
)
from sluicegate.bench.outcome import Outcome
from sluicegate.bench.prices import PriceTable


def primary_backend(outcomes: Sequence[Outcome]) -> str | None:
    """The backend that served the earliest-sent request that names one: under light load the
    gateway's first choice (the PTU deployment, when it routes PTU first)."""
    for outcome in sorted(outcomes, key=lambda item: item.sent):
        if outcome.backend and outcome.completed:
            return outcome.backend
    return None


def run_span(outcomes: Sequence[Outcome]) -> float:
    if not outcomes:
        return 0.0
    return max(o.end for o in outcomes) - min(o.scheduled for o in outcomes)


def summarize(
    outcomes: Sequence[Outcome],
    *,
    seconds: float | None = None,
    primary: str | None = None,
    prices: PriceTable | None = None,
) -> dict[str, Any]:
    """The figures of `outcomes` over `seconds` (default: their span)."""
    span = run_span(outcomes) if seconds is None else seconds
    completed = [o for o in outcomes if o.completed]
    throttled = sum(1 for o in outcomes if o.throttled)
    prompt = sum(o.prompt_tokens for o in completed)
    generated = sum(o.generated_tokens for o in completed)
    ttfts = [t for o in completed if (t := o.ttft) is not None]
    tbts = [
        t
        for o in completed
        if (ttft := o.ttft) is not None
        and (t := time_between_tokens(o.e2e, ttft, o.generated_tokens)) is not None
    ]
    served = Counter(o.backend for o in completed if o.backend)
    utilization = [o.utilization for o in outcomes if o.utilization is not None]
    gateway = [o for o in completed if o.gateway_attempts is not None]
    return {
        "requests": len(outcomes),
        "completed": len(completed),
        "failed": len(outcomes) - len(completed) - throttled,
        "throttled": throttled,
        "throttle_responses": sum(o.throttles for o in outcomes),
        "retries": sum(o.attempts - 1 for o in outcomes),
        "errors": dict(Counter(o.error for o in outcomes if o.error is not None)),
        "seconds": span,
        "rpm": per_minute(len(completed), span),
        "context_tpm": per_minute(prompt, span),
        "generated_tpm": per_minute(generated, span),
        "total_tpm": per_minute(prompt + generated, span),
        "prompt_tokens": prompt,
        "generated_tokens": generated,
        "usage_reported_share": share(sum(o.usage_reported for o in completed), len(completed)),
        "e2e": distribution(o.e2e for o in completed),
        "ttft": distribution(ttfts),
        "tbt": distribution(tbts),
        "send_lag": distribution(o.send_lag for o in outcomes),
        "utilization": {
            "mean": math.fsum(utilization) / len(utilization) if utilization else None,
            "max": max(utilization) if utilization else None,
            "last": utilization[-1] if utilization else None,
        },
        "served_by": dict(served),
        "primary_backend": primary,
        "spillover_share": spillover_share(served, primary),
        "gateway_retried_share": share(
            sum(1 for o in gateway if (o.gateway_attempts or 0) > 1), len(gateway)
        ),
        "cost": _cost(completed, prices),
    }


def _cost(completed: Sequence[Outcome], prices: PriceTable | None) -> dict[str, Any] | None:
    if prices is None:
        return None
    total = 0.0
    unpriced: Counter[str] = Counter()
    for outcome in completed:
        price = prices.price(outcome.model)
        if price is None:
            unpriced[outcome.model] += 1
            continue
        total += token_cost(
            outcome.prompt_tokens, outcome.generated_tokens, price.input_per_1m, price.output_per_1m
        )
    tokens = sum(o.prompt_tokens + o.generated_tokens for o in completed)
    return {
        "total_usd": total,
        "per_1k_requests_usd": total * 1000 / len(completed) if completed else None,
        "per_1m_tokens_usd": total * 1_000_000 / tokens if tokens else None,
        "unpriced_requests": dict(unpriced),
    }


def windows(
    outcomes: Sequence[Outcome],
    start: float,
    width: float,
    *,
    primary: str | None = None,
    prices: PriceTable | None = None,
) -> list[dict[str, Any]]:
    """One summary per `width` seconds from `start`, of the requests that completed in it; the
    last window is as long as it lasted. Windows with nothing completed are kept (a stall
    shows)."""
    if not outcomes or width <= 0:
        return []
    last = max(o.end for o in outcomes)
    count = max(1, math.ceil(round((last - start) / width, 9)))
    buckets: list[list[Outcome]] = [[] for _ in range(count)]
    for outcome in outcomes:
        index = min(count - 1, max(0, int((outcome.end - start) // width)))
        buckets[index].append(outcome)
    result = []
    for index, bucket in enumerate(buckets):
        begin = start + index * width
        end = min(begin + width, last) if index == count - 1 else begin + width
        figures = summarize(bucket, seconds=max(end - begin, 1e-9), primary=primary, prices=prices)
        result.append({"window": index, "start": begin, "end": end, **figures})
    return result
