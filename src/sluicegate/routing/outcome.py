"""The error a pool raises when it gives up, chosen from what its attempts did.

Messages name backends and statuses only: no URLs, no upstream bodies, no secrets.
"""

from __future__ import annotations

from collections.abc import Sequence

from sluicegate.core.errors import (
    AllBackendsFailed,
    AttemptSummary,
    GatewayError,
    RateLimited,
    UpstreamTimeout,
)

TIMEOUT_CODE = UpstreamTimeout.code


def exhausted(pool: str, attempts: Sequence[AttemptSummary], retry_after_s: float) -> GatewayError:
    """No candidate is left (all tried, all cooling, or the attempt bound reached).

    Nothing tried, or every attempt a 429: the pool is rate limited, and the client is told
    when the soonest member recovers rather than handed an upstream 429. Every attempt timed
    out: 504. Anything else: 502 with the per-attempt summary.
    """
    if all(attempt.status == 429 for attempt in attempts):
        return RateLimited(
            f"Every backend for '{pool}' is rate limited; retry after {retry_after_s:.1f} s.",
            retry_after_s=retry_after_s,
        )
    if all(attempt.error == TIMEOUT_CODE for attempt in attempts):
        return UpstreamTimeout(f"Every backend tried for '{pool}' timed out: {describe(attempts)}.")
    return AllBackendsFailed(
        f"No backend for '{pool}' could answer: {describe(attempts)}.", attempts
    )


def deadline_passed(pool: str, attempts: Sequence[AttemptSummary]) -> UpstreamTimeout:
    if not attempts:
        return UpstreamTimeout(
            f"The request's deadline passed before any backend for '{pool}' was tried."
        )
    return UpstreamTimeout(
        f"The request's deadline passed after {len(attempts)} attempt(s) for '{pool}': "
        f"{describe(attempts)}."
    )


def describe(attempts: Sequence[AttemptSummary]) -> str:
    """`a (500), b (upstream_connect_error)`: names and outcomes only."""
    return ", ".join(
        f"{attempt.backend} ({attempt.status if attempt.status is not None else attempt.error})"
        for attempt in attempts
    )
