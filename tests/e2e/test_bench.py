"""`sluicegate bench` against real sockets: its figures checked against the simulator's known
latency model, and its served-by and spillover figures against the gateway's own counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest
from tests.e2e.support import MODEL, StackFactory, sim_deployment

from sluicegate.bench.load import LoadPlan
from sluicegate.bench.results import RunResult
from sluicegate.bench.retry import RetryPolicy
from sluicegate.bench.session import BenchSpec, run_once, run_sweep
from sluicegate.bench.shapes import Shape
from sluicegate.bench.slo import Slo
from sluicegate.bench.sources import ShapeSource
from sluicegate.bench.target import build_target
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.simulator.server import SimulatorServer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("cpu_to_itself")]
"""They time what the bench measures, so nothing that needs both cores may run beside them."""

TTFT_MS = 150.0
TOKENS_PER_SECOND = 100.0
COMPLETION_TOKENS = 40


@asynccontextmanager
async def paced_simulator() -> AsyncIterator[str]:
    """One deployment with a fixed first-token delay, token rate and completion length."""
    config = SimulatorConfig.model_validate(
        {
            "port": 0,
            "deployments": [
                {
                    "name": "paced",
                    "latency": {"ttft_ms": TTFT_MS, "tokens_per_second": TOKENS_PER_SECOND},
                    "completion": {"mean_tokens": COMPLETION_TOKENS, "spread": 0},
                }
            ],
        }
    )
    async with SimulatorServer(config) as url:
        yield url


def spec(url: str, plan: LoadPlan, model: str = "paced", max_tokens: int = 100) -> BenchSpec:
    target = build_target(url, model=model, environ={})
    source = ShapeSource(Shape("custom", 200, max_tokens), model, model, "t", 0)
    return BenchSpec(target, plan, source, RetryPolicy(), {"shape": "custom"})


def close(measured: float | None, truth: float, *, absolute: float = 0.0) -> bool:
    """Within 5 % of the truth, or within `absolute` of it."""
    assert measured is not None
    return abs(measured - truth) <= max(0.05 * truth, absolute)


async def test_closed_loop_measures_the_known_ttft_tbt_and_tpm() -> None:
    clients = 4
    plan = LoadPlan(mode="closed", concurrency=clients, duration=2.0, warmup=0.5, window=1.0)
    async with paced_simulator() as url:
        result = await run_once(spec(url, plan))
    summary = result.summary
    assert summary["failed"] == 0
    assert summary["throttled"] == 0
    assert summary["completed"] >= 8
    assert summary["usage_reported_share"] == 1.0
    assert summary["generated_tokens"] == COMPLETION_TOKENS * summary["completed"]
    ttft = TTFT_MS / 1000
    tbt = 1 / TOKENS_PER_SECOND
    for key in ("p50", "p95", "p99"):
        assert close(summary["ttft"][key], ttft, absolute=0.002), summary["ttft"]
        assert close(summary["tbt"][key], tbt, absolute=0.002), summary["tbt"]
    # Each client completes one request every TTFT + (n − 1) / rate seconds.
    per_request = ttft + (COMPLETION_TOKENS - 1) / TOKENS_PER_SECOND
    truth_tpm = clients * COMPLETION_TOKENS / per_request * 60
    assert close(summary["generated_tpm"], truth_tpm), (summary["generated_tpm"], truth_tpm)
    assert close(summary["rpm"], clients / per_request * 60)


async def test_open_loop_counts_latency_from_the_schedule() -> None:
    plan = LoadPlan(mode="open", rate=20.0, duration=1.5, warmup=0.3, window=0.5)
    async with paced_simulator() as url:
        result = await run_once(spec(url, plan))
    summary = result.summary
    assert summary["completed"] == 30  # 1.5 s at 20 req/s, none lost
    assert close(summary["ttft"]["p50"], TTFT_MS / 1000, absolute=0.002)
    assert close(summary["tbt"]["p95"], 1 / TOKENS_PER_SECOND, absolute=0.002)
    assert summary["send_lag"]["p99"] < 0.05
    # Windows hold every measured request exactly once.
    assert sum(window["completed"] for window in result.windows) == 30


async def test_open_loop_counts_a_stall_as_latency() -> None:
    """A target that serves one request at a time: open loop keeps sending, and the queue shows
    in the latency measured from the schedule (coordinated omission counted)."""
    plan = LoadPlan(mode="open", rate=10.0, duration=1.0, warmup=0.0, window=0.5, max_connections=1)
    async with paced_simulator() as url:
        result = await run_once(spec(url, plan, max_tokens=10))
    summary = result.summary
    service = TTFT_MS / 1000 + 9 / TOKENS_PER_SECOND  # 0.24 s each, one at a time
    # The 10th request waited for the 9 before it: about 10 × 0.24 − 0.9 s from its schedule.
    assert summary["e2e"]["max"] >= 10 * service - 0.9 - 0.05
    assert summary["e2e"]["p50"] > 2 * service


async def bench_through_gateway(start_stack: StackFactory) -> tuple[RunResult, dict[str, dict]]:
    latency = {"ttft_ms": 5, "tokens_per_second": 2000}
    deployments = [
        # 30,000 TPM over a 2 s window: 1,000 tokens, about 4 requests of this shape.
        sim_deployment("ptu", "ptu", capacity_tpm=30_000, window_seconds=2, latency=latency),
        sim_deployment("paygo", latency=latency),
    ]
    stack = await start_stack(deployments)
    plan = LoadPlan(mode="open", rate=20.0, duration=2.0, warmup=0.0, window=0.5)
    result = await run_once(spec(stack.gateway_url, plan, model=MODEL, max_tokens=20))
    stats = (await stack.sim_stats())["deployments"]
    return result, stats


async def test_served_by_and_spillover_match_the_gateway(start_stack: StackFactory) -> None:
    result, stats = await bench_through_gateway(start_stack)
    summary = result.summary
    assert summary["completed"] == 40
    assert summary["failed"] == 0
    served = summary["served_by"]
    assert served == {"ptu": stats["ptu"]["requests"], "paygo": stats["paygo"]["requests"]}
    assert served["ptu"] > 0
    assert served["paygo"] > 0
    assert summary["primary_backend"] == "ptu"
    assert summary["spillover_share"] == pytest.approx(served["paygo"] / 40)
    # Every 429 the PTU deployment gave made the gateway try a second backend.
    retried = sum((o.gateway_attempts or 1) - 1 for o in result.outcomes)
    assert retried == stats["ptu"]["throttled"]
    assert summary["gateway_retried_share"] == pytest.approx(retried / 40)
    # PTU utilization came through the gateway's headers.
    assert summary["utilization"]["max"] is not None
    assert summary["throttle_responses"] == 0  # the gateway absorbed the 429s
    per_window = [window.get("spillover_share") for window in result.windows]
    assert any(share is not None for share in per_window)


async def test_sweep_stops_at_the_first_rate_missing_the_objective() -> None:
    plan = LoadPlan(mode="open", rate=1.0, duration=0.5, warmup=0.0, window=0.25)
    async with paced_simulator() as url:
        # TTFT is 150 ms: a 1 s objective is met at every rate, a 100 ms one at none.
        met = await run_sweep(replace(spec(url, plan, max_tokens=5), slo=Slo(ttft_s=1.0)), [4, 8])
        missed = await run_sweep(
            replace(spec(url, plan, max_tokens=5), slo=Slo(ttft_s=0.1)), [4, 8]
        )
    assert met.sweep is not None
    assert [step["passed"] for step in met.sweep["steps"]] == [True, True]
    assert met.sweep["best_rate"] == 8
    assert met.sweep["goodput_rps"] == pytest.approx(
        met.summary["completed"] / met.summary["seconds"]
    )
    assert missed.sweep is not None
    assert len(missed.sweep["steps"]) == 1  # stopped at the first failure
    assert missed.sweep["best_rate"] is None
    assert "p95 TTFT" in missed.sweep["steps"][0]["violations"][0]
