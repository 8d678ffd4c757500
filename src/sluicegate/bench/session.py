"""One benchmark from start to saved result: a single run, or a sweep of open-loop rates that
stops at the first rate missing the objectives."""

from __future__ import annotations

import dataclasses
import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sluicegate.bench.aggregate import summarize
from sluicegate.bench.load import LoadPlan
from sluicegate.bench.prices import PriceTable
from sluicegate.bench.results import RunResult
from sluicegate.bench.retry import RetryPolicy
from sluicegate.bench.runner import Runner, WindowCallback
from sluicegate.bench.slo import Slo, goodput
from sluicegate.bench.sources import RequestSource
from sluicegate.bench.target import Target


@dataclass(frozen=True, slots=True)
class BenchSpec:
    target: Target
    plan: LoadPlan
    source: RequestSource
    retry: RetryPolicy
    workload: dict[str, Any]
    """How the requests are shaped (profile and sizes, or the trace file), for the record."""
    prices: PriceTable | None = None
    primary: str | None = None
    label: str | None = None
    slo: Slo | None = None


StartCallback = Callable[[Runner], None]
StepCallback = Callable[[dict[str, Any]], None]


async def run_once(
    spec: BenchSpec,
    plan: LoadPlan | None = None,
    *,
    on_window: WindowCallback | None = None,
    on_start: StartCallback | None = None,
) -> RunResult:
    plan = plan or spec.plan
    runner = Runner(
        plan,
        spec.target,
        spec.source,
        spec.retry,
        primary=spec.primary,
        prices=spec.prices,
        on_window=on_window,
    )
    if on_start is not None:
        on_start(runner)
    started = datetime.now(UTC)
    data = await runner.run()
    primary = runner.primary
    summary = summarize(data.outcomes, primary=primary, prices=spec.prices)
    if spec.slo is not None:
        summary["slo"] = {
            "objectives": spec.slo.describe(),
            "violations": spec.slo.violations(summary),
            "goodput_rps": goodput(data.outcomes, spec.slo, summary["seconds"]),
        }
    meta = {
        "label": spec.label or spec.target.label,
        "target": spec.target.label,
        "plan": dataclasses.asdict(plan),
        "load": plan.describe(),
        "workload": spec.workload,
        "retry": {
            "mode": spec.retry.mode,
            "max_attempts": spec.retry.max_attempts,
            "base_seconds": spec.retry.base_seconds,
            "max_seconds": spec.retry.max_seconds,
        },
        "started_at": started.isoformat(timespec="seconds"),
        "measure_start": data.measure_start,
        "warmup_requests": len(data.warmup),
        "generator_cpu_seconds": data.cpu_seconds,
        "host": platform.node(),
        "python": platform.python_version(),
    }
    return RunResult(meta, summary, data.windows, data.outcomes)


async def run_sweep(
    spec: BenchSpec,
    rates: list[float],
    *,
    on_step: StepCallback | None = None,
    on_window: WindowCallback | None = None,
    on_start: StartCallback | None = None,
) -> RunResult:
    """Each rate in turn (open loop, same duration and warm-up); stop at the first that misses
    the objectives. The result describes the best passing step (else the first step)."""
    slo = spec.slo or Slo()
    spec = dataclasses.replace(spec, slo=slo)
    steps: list[dict[str, Any]] = []
    best: RunResult | None = None
    first: RunResult | None = None
    for rate in rates:
        plan = dataclasses.replace(spec.plan, mode="open", rate=rate)
        result = await run_once(spec, plan, on_window=on_window, on_start=on_start)
        first = first or result
        verdict = result.summary["slo"]
        step = {
            "rate": rate,
            "passed": not verdict["violations"],
            "violations": verdict["violations"],
            "goodput_rps": verdict["goodput_rps"],
            "summary": result.summary,
        }
        steps.append(step)
        if on_step is not None:
            on_step(step)
        if not step["passed"]:
            break
        best = result
    chosen = best or first
    assert chosen is not None
    chosen.sweep = {
        "objectives": slo.describe(),
        "steps": steps,
        "best_rate": None if best is None else best.meta["plan"]["rate"],
        "goodput_rps": None if best is None else best.summary["slo"]["goodput_rps"],
    }
    return chosen
