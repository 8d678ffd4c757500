"""The planner's spillover replay and the simulator's admission agree request by request.

The same requests go through `planner.replay` and through the simulator's own limiters
(`build_limiter` of a `SimDeployment`, `PtuCapacity`, `PaygLimits`) driven by an injected clock;
what each admits, spills and refuses must be identical.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from sluicegate.config.simulator import SimDeployment
from sluicegate.planner.capacity import ModelCapacity
from sluicegate.planner.demand import Demand
from sluicegate.planner.profile import TrafficProfile, profile_demand
from sluicegate.planner.replay import ReplayResult, replay
from sluicegate.simulator.capacity import Limiter, PaygLimits, PtuCapacity, build_limiter


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def through_simulator(
    demand: Demand,
    capacity: ModelCapacity,
    ptus: int,
    payg_tpm: int | None,
    payg_rpm: int | None,
    window: float,
) -> tuple[int, int, int, int, int]:
    """(ptu tokens, spilled tokens, refused tokens, minutes spilling, minutes refused) with
    the simulator's classes; PTU charges are weighted tokens, as the planner charges them."""
    clock = Clock()
    ptu: Limiter | None = None
    if ptus and capacity.output_token_weight == 1:
        ptu = build_limiter(
            SimDeployment(
                name="ptu",
                kind="ptu",
                capacity_tpm=int(capacity.ptu_capacity_tpm(ptus)),
                window_seconds=window,
            ),
            clock,
        )
    elif ptus:
        ptu = PtuCapacity(int(capacity.ptu_capacity_tpm(ptus)), window, clock)
    payg = PaygLimits(payg_tpm, payg_rpm, window, clock)
    served = spilled = refused = 0
    spilling: set[int] = set()
    refusing: set[int] = set()
    for at, prompt, completion in zip(
        demand.times, demand.prompt_tokens, demand.completion_tokens, strict=True
    ):
        clock.now = at
        tokens = prompt + completion
        if ptu is not None:
            if ptu.try_admit(capacity.weighted(prompt, completion)).admitted:
                served += tokens
                continue
            spilling.add(int(at // 60))
        if payg.try_admit(tokens).admitted:
            spilled += tokens
        else:
            refused += tokens
            refusing.add(int(at // 60))
    return served, spilled, refused, len(spilling), len(refusing)


def summary(result: ReplayResult) -> tuple[int, int, int, int, int]:
    return (
        result.ptu_tokens,
        result.spilled_tokens,
        result.refused_tokens,
        result.minutes_spilling,
        result.minutes_refused,
    )


def entry(weight: float) -> ModelCapacity:
    return ModelCapacity(
        input_tpm_per_ptu=1000,
        output_token_weight=weight,
        minimum_ptus=1,
        increment_ptus=1,
        ptu_hour_usd=1,
        payg_input_usd_per_million=1,
        payg_output_usd_per_million=1,
    )


def profile() -> Demand:
    return profile_demand(
        TrafficProfile.model_validate(
            {
                "model": "m",
                "prompt_tokens": 700,
                "completion_tokens": 150,
                "peak_minutes": 6,
                "hours": [
                    {"hour": "0-7", "rpm": 3, "peak_rpm": 9},
                    {"hour": "8-17", "rpm": 14, "peak_rpm": 40, "prompt_tokens": 1100},
                    {"hour": "18-23", "rpm": 6.5, "peak_rpm": 12},
                ],
            }
        ),
        "agreement profile",
    )


def usage_like(seed: int) -> Demand:
    """Irregular arrivals and sizes, several at the same instant, some of zero tokens."""
    generator = random.Random(seed)
    times = sorted(
        round(generator.uniform(0, 3 * 3600), generator.choice([0, 1, 3])) for _ in range(6000)
    )
    prompts = [generator.choice([0, 10, 400, 2500, 9000]) for _ in times]
    completions = [generator.choice([0, 50, 700]) for _ in times]
    return Demand("m", "usage", 180, times, prompts, completions)


@pytest.mark.parametrize("weight", [1, 4, 2.5])
@pytest.mark.parametrize("ptus", [0, 3, 12, 40])
@pytest.mark.parametrize(("payg_tpm", "payg_rpm"), [(None, None), (20_000, None), (8_000, 6)])
@pytest.mark.parametrize("window", [60.0, 10.0])
def test_profile_replays_the_same_through_both(
    weight: float, ptus: int, payg_tpm: int | None, payg_rpm: int | None, window: float
) -> None:
    demand = profile()
    capacity = entry(weight)
    planned = replay(
        demand, capacity, ptus, payg_tpm=payg_tpm, payg_rpm=payg_rpm, window_seconds=window
    )
    simulated = through_simulator(demand, capacity, ptus, payg_tpm, payg_rpm, window)
    assert summary(planned) == simulated


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("ptus", [2, 9])
def test_irregular_usage_replays_the_same_through_both(seed: int, ptus: int) -> None:
    demand = usage_like(seed)
    capacity = entry(4)
    planned = replay(demand, capacity, ptus, payg_tpm=30_000, payg_rpm=20)
    simulated = through_simulator(demand, capacity, ptus, 30_000, 20, 60.0)
    assert summary(planned) == simulated
    # The case is not trivial: each outcome happens.
    assert planned.ptu_tokens > 0
    assert planned.spilled_tokens > 0
    assert planned.refused_tokens > 0
