"""Spillover replay: the demand's requests, in order, against a PTU deployment and then PAYG.

The rules are the simulator's (`simulator.capacity.PtuCapacity` and `PaygLimits` over
`simulator.window.SlidingWindow`), inlined into one loop because a month of traffic is millions
of requests replayed at several PTU counts:

- a request is admitted by the PTU when its window (the last `window_seconds`) is empty or when
  the window's total plus the request's weighted tokens stays within the capacity scaled to the
  window; an admitted request is charged at its arrival and forgotten `window_seconds` later;
- a request the PTU refuses spills to PAYG, which checks its tokens (prompt + completion,
  unweighted) and one request against its optional TPM and RPM quotas the same way;
- a request PAYG refuses too is refused (the client gets a 429).

tests/unit/test_planner_agreement.py checks this loop against the simulator's classes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from sluicegate.planner.capacity import ModelCapacity
from sluicegate.planner.demand import Demand


@dataclass(frozen=True, slots=True)
class ReplayResult:
    ptus: int
    ptu_requests: int
    ptu_prompt_tokens: int
    ptu_completion_tokens: int
    ptu_weighted_tokens: int
    """Capacity used on the PTU, in input tokens."""
    spilled_requests: int
    spilled_prompt_tokens: int
    spilled_completion_tokens: int
    """Served by PAYG after the PTU refused them."""
    refused_requests: int
    refused_tokens: int
    """Refused by PAYG as well: 429 to the client."""
    minutes_spilling: int
    """Minutes in which the PTU refused at least one request (at risk of 429 without PAYG)."""
    minutes_refused: int
    """Minutes in which a request was refused by both."""

    @property
    def spilled_tokens(self) -> int:
        return self.spilled_prompt_tokens + self.spilled_completion_tokens

    @property
    def ptu_tokens(self) -> int:
        return self.ptu_prompt_tokens + self.ptu_completion_tokens


def replay(
    demand: Demand,
    capacity: ModelCapacity,
    ptus: int,
    *,
    payg_tpm: int | None = None,
    payg_rpm: int | None = None,
    window_seconds: float = 60.0,
) -> ReplayResult:
    """Replay `demand` against `ptus` PTUs (0: everything goes to PAYG) with PAYG spillover."""
    scale = window_seconds / 60.0
    ptu_capacity = capacity.ptu_capacity_tpm(ptus) * scale
    payg_tokens_capacity = None if payg_tpm is None else payg_tpm * scale
    payg_requests_capacity = None if payg_rpm is None else payg_rpm * scale
    weight = capacity.output_token_weight

    ptu_events: deque[tuple[float, int]] = deque()
    ptu_total = 0
    payg_events: deque[tuple[float, int]] = deque()
    payg_total = 0
    payg_count = 0

    ptu = [0, 0, 0, 0]  # requests, prompt, completion, weighted
    spill = [0, 0, 0]  # requests, prompt, completion
    refused_requests = refused_tokens = 0
    spilling_minutes: set[int] = set()
    refused_minutes: set[int] = set()

    for now, prompt, completion in zip(
        demand.times, demand.prompt_tokens, demand.completion_tokens, strict=True
    ):
        horizon = now - window_seconds
        if ptus > 0:
            while ptu_events and ptu_events[0][0] <= horizon:
                ptu_total -= ptu_events.popleft()[1]
            weighted = capacity.weighted(prompt, completion) if weight != 1 else prompt + completion
            if ptu_total == 0 or ptu_total + weighted <= ptu_capacity:
                if weighted > 0:
                    ptu_events.append((now, weighted))
                    ptu_total += weighted
                ptu[0] += 1
                ptu[1] += prompt
                ptu[2] += completion
                ptu[3] += weighted
                continue
            spilling_minutes.add(int(now // 60.0))
        while payg_events and payg_events[0][0] <= horizon:
            _, tokens = payg_events.popleft()
            payg_total -= tokens
            payg_count -= 1
        tokens = prompt + completion
        fits_tokens = (
            payg_tokens_capacity is None
            or payg_total == 0
            or payg_total + tokens <= payg_tokens_capacity
        )
        fits_requests = (
            payg_requests_capacity is None
            or payg_count == 0
            or payg_count + 1 <= payg_requests_capacity
        )
        if fits_tokens and fits_requests:
            payg_events.append((now, tokens))
            payg_total += tokens
            payg_count += 1
            spill[0] += 1
            spill[1] += prompt
            spill[2] += completion
        else:
            refused_requests += 1
            refused_tokens += tokens
            refused_minutes.add(int(now // 60.0))
    return ReplayResult(
        ptus=ptus,
        ptu_requests=ptu[0],
        ptu_prompt_tokens=ptu[1],
        ptu_completion_tokens=ptu[2],
        ptu_weighted_tokens=ptu[3],
        spilled_requests=spill[0],
        spilled_prompt_tokens=spill[1],
        spilled_completion_tokens=spill[2],
        refused_requests=refused_requests,
        refused_tokens=refused_tokens,
        minutes_spilling=len(spilling_minutes),
        minutes_refused=len(refused_minutes),
    )
