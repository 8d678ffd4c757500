"""`sluicegate bench`: the command line of the load benchmark. Everything heavy (aiohttp, rich,
matplotlib) is imported inside the command, so `sluicegate --help` stays fast."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sluicegate.cli.endpoint_options import (
    OUTPUT_PANEL,
    TARGET_PANEL,
    ApiKeyEnvOption,
    HeaderOption,
    PricesOption,
)
from sluicegate.cli.store_access import usage_error

if TYPE_CHECKING:
    from sluicegate.bench.load import Mode
    from sluicegate.bench.results import RunResult
    from sluicegate.bench.session import BenchSpec
    from sluicegate.bench.target import Api

_LOAD = "Load"
_TARGET = TARGET_PANEL
_SHAPE = "Request shape"
_SLO = "Sweep and objectives"
_OUT = OUTPUT_PANEL


def bench_command(
    url: Annotated[
        str | None,
        typer.Option(
            help="Base URL: the gateway, the simulator, https://<resource>.openai."
            "azure.com, or any OpenAI-compatible .../v1.",
            rich_help_panel=_TARGET,
        ),
    ] = None,
    api: Annotated[
        str, typer.Option(help="openai or azure (deployment paths).", rich_help_panel=_TARGET)
    ] = "openai",
    model: Annotated[
        str | None,
        typer.Option(help="Model name sent in the body (OpenAI-style).", rich_help_panel=_TARGET),
    ] = None,
    deployment: Annotated[
        str | None,
        typer.Option(help="Azure deployment name (implies --api azure).", rich_help_panel=_TARGET),
    ] = None,
    api_version: Annotated[
        str, typer.Option(help="Azure api-version.", rich_help_panel=_TARGET)
    ] = "2024-10-21",
    api_key_env: ApiKeyEnvOption = None,
    auth: Annotated[
        str | None,
        typer.Option(
            help="Send the key as 'bearer' or 'api-key' (default: api-key for Azure, else bearer).",
            rich_help_panel=_TARGET,
        ),
    ] = None,
    header: HeaderOption = None,
    primary_backend: Annotated[
        str | None,
        typer.Option(
            help="Through the gateway: the backend whose share is not spillover (default: the one "
            "that served the first request).",
            rich_help_panel=_TARGET,
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            "-c",
            help="Closed loop: clients sending back to back (default 8).",
            rich_help_panel=_LOAD,
        ),
    ] = None,
    rate: Annotated[
        float | None, typer.Option(help="Open loop: requests per second.", rich_help_panel=_LOAD)
    ] = None,
    arrivals: Annotated[
        str, typer.Option(help="Open loop: constant or poisson.", rich_help_panel=_LOAD)
    ] = "constant",
    trace: Annotated[
        Path | None,
        typer.Option(
            help="Replay a JSONL trace, e.g. from `sluicegate usage export` (see docs/bench.md).",
            rich_help_panel=_LOAD,
        ),
    ] = None,
    speed: Annotated[
        float, typer.Option(help="Trace: replay this many times faster.", rich_help_panel=_LOAD)
    ] = 1.0,
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration",
            "-d",
            help="Seconds measured after the warm-up (default 60 without --requests).",
            rich_help_panel=_LOAD,
        ),
    ] = None,
    requests: Annotated[
        int | None,
        typer.Option(
            "--requests", "-n", help="Requests measured after the warm-up.", rich_help_panel=_LOAD
        ),
    ] = None,
    warmup: Annotated[
        float | None,
        typer.Option(
            help="Seconds sent first and not counted (default 5; 0 for a trace).",
            rich_help_panel=_LOAD,
        ),
    ] = None,
    window: Annotated[
        float, typer.Option(help="Seconds per aggregation window.", rich_help_panel=_LOAD)
    ] = 5.0,
    timeout: Annotated[
        float, typer.Option(help="Seconds per attempt.", rich_help_panel=_LOAD)
    ] = 300.0,
    max_connections: Annotated[
        int, typer.Option(help="Open loop: most connections at once.", rich_help_panel=_LOAD)
    ] = 1000,
    seed: Annotated[
        int, typer.Option(help="Seeds prompts, Poisson arrivals and jitter.", rich_help_panel=_LOAD)
    ] = 0,
    retry: Annotated[
        str,
        typer.Option(
            help="none or exponential (honours retry-after-ms and Retry-After).",
            rich_help_panel=_LOAD,
        ),
    ] = "none",
    retry_max_attempts: Annotated[
        int, typer.Option(help="Attempts in all, with retries.", rich_help_panel=_LOAD)
    ] = 5,
    retry_base: Annotated[
        float, typer.Option(help="First backoff in seconds (doubles).", rich_help_panel=_LOAD)
    ] = 0.5,
    retry_max_wait: Annotated[
        float, typer.Option(help="Longest single wait in seconds.", rich_help_panel=_LOAD)
    ] = 30.0,
    shape: Annotated[
        str,
        typer.Option(
            help="balanced (500/500), context (2000/200), generation (500/1000) or custom.",
            rich_help_panel=_SHAPE,
        ),
    ] = "balanced",
    context_tokens: Annotated[
        int | None, typer.Option(help="--shape custom: prompt tokens.", rich_help_panel=_SHAPE)
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(help="--shape custom: max_tokens.", rich_help_panel=_SHAPE)
    ] = None,
    sweep: Annotated[
        str | None,
        typer.Option(
            help="START:STOP:STEP req/s: open-loop steps until one misses the objectives.",
            rich_help_panel=_SLO,
        ),
    ] = None,
    slo_ttft: Annotated[
        float | None,
        typer.Option(
            help="Objective: TTFT percentile at most this many seconds (default 1 with --sweep).",
            rich_help_panel=_SLO,
        ),
    ] = None,
    slo_e2e: Annotated[
        float | None,
        typer.Option(help="Objective: e2e latency percentile (seconds).", rich_help_panel=_SLO),
    ] = None,
    slo_tbt: Annotated[
        float | None,
        typer.Option(help="Objective: TBT percentile (seconds).", rich_help_panel=_SLO),
    ] = None,
    slo_percentile: Annotated[
        float, typer.Option(help="50, 90, 95 or 99.", rich_help_panel=_SLO)
    ] = 95.0,
    slo_max_429: Annotated[
        int, typer.Option(help="429 replies allowed.", rich_help_panel=_SLO)
    ] = 0,
    slo_max_failed: Annotated[
        float, typer.Option(help="Share of failed requests allowed.", rich_help_panel=_SLO)
    ] = 0.0,
    prices: PricesOption = None,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="human or jsonl (a line per window, then the summary).",
            rich_help_panel=_OUT,
        ),
    ] = "human",
    save: Annotated[
        Path | None, typer.Option(help="Save the run as JSON.", rich_help_panel=_OUT)
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write an HTML report with plots.", rich_help_panel=_OUT)
    ] = None,
    load: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Use a saved run instead of running (with --report or --output).",
            rich_help_panel=_OUT,
        ),
    ] = None,
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option(
            help="Two saved runs side by side (with --report: a comparison report).",
            rich_help_panel=_OUT,
        ),
    ] = None,
    label: Annotated[
        str | None, typer.Option(help="Name of this run in reports.", rich_help_panel=_OUT)
    ] = None,
    no_live: Annotated[
        bool, typer.Option("--no-live", help="No live progress view.", rich_help_panel=_OUT)
    ] = False,
) -> None:
    """Load-test an OpenAI-compatible or Azure OpenAI endpoint: TTFT, TBT, latency
    percentiles, throughput, 429s, spillover and cost, with reports (docs/bench.md)."""
    if output not in ("human", "jsonl"):
        usage_error(f"--output {output!r}: use human or jsonl")
    if compare is not None or load is not None:
        if compare is not None and load is not None:
            usage_error("use either --compare or --from, not both")
        if url is not None:
            usage_error("--url runs a benchmark; --compare and --from read saved runs instead")
        _saved(compare, load, output, report)
        return
    if url is None:
        usage_error("--url is required (or --from / --compare to use saved runs)")
    spec, rates = _spec(locals())
    result = _run(spec, rates, output, live=not no_live and sys.stderr.isatty())
    _emit_result(result, output)
    if save is not None:
        result.save(save)
        typer.echo(f"saved the run to {save}", err=True)
    if report is not None:
        from sluicegate.bench.report import write_report

        write_report([result], report)
        typer.echo(f"wrote the report to {report}", err=True)
    if not result.summary["completed"] and result.sweep is None:
        typer.echo("error: no request completed; see the errors above", err=True)
        raise typer.Exit(1)


def _spec(options: dict[str, Any]) -> tuple[BenchSpec, list[float] | None]:
    """Validate the options into a benchmark; every mistake exits 2 with a message."""
    from sluicegate.bench.load import LoadPlan
    from sluicegate.bench.retry import RetryPolicy
    from sluicegate.bench.session import BenchSpec
    from sluicegate.bench.shapes import shape_for
    from sluicegate.bench.slo import Slo, sweep_rates
    from sluicegate.bench.target import build_target
    from sluicegate.config.loader import ConfigError

    o = options
    if o["api"] not in ("openai", "azure"):
        usage_error(f"--api {o['api']!r}: use openai or azure")
    if o["auth"] not in (None, "bearer", "api-key"):
        usage_error(f"--auth {o['auth']!r}: use bearer or api-key")
    if o["arrivals"] not in ("constant", "poisson"):
        usage_error(f"--arrivals {o['arrivals']!r}: use constant or poisson")
    if o["retry"] not in ("none", "exponential"):
        usage_error(f"--retry {o['retry']!r}: use none or exponential")
    loads = [name for name in ("rate", "trace", "sweep") if o[name] is not None]
    if len(loads) > 1:
        usage_error(f"choose one of --rate, --trace and --sweep (got {', '.join(loads)})")
    if loads and o["concurrency"] is not None:
        usage_error(
            f"--concurrency is for closed loop; --{loads[0]} is open loop (see --max-connections)"
        )
    mode: Mode = "trace" if o["trace"] else "open" if (o["rate"] or o["sweep"]) else "closed"
    api: Api = "azure" if o["deployment"] else o["api"]
    run_id = uuid.uuid4().hex[:8]
    try:
        target = build_target(
            o["url"],
            api=api,
            model=o["model"],
            deployment=o["deployment"],
            api_version=o["api_version"],
            key_env=o["api_key_env"],
            auth=o["auth"],
            extra_headers=o["header"] or (),
            environ=os.environ,
        )
        duration = o["duration"]
        if duration is None and o["requests"] is None and mode != "trace":
            duration = 60.0
        plan = LoadPlan(
            mode=mode,
            concurrency=o["concurrency"] or 8,
            rate=o["rate"] or 1.0,
            arrivals=o["arrivals"],
            duration=duration,
            requests=o["requests"],
            warmup=o["warmup"] if o["warmup"] is not None else (0.0 if mode == "trace" else 5.0),
            seed=o["seed"],
            window=o["window"],
            timeout=o["timeout"],
            max_connections=o["max_connections"],
            speed=o["speed"],
        )
        retry = RetryPolicy(
            o["retry"],
            max_attempts=o["retry_max_attempts"],
            base_seconds=o["retry_base"],
            max_seconds=o["retry_max_wait"],
        )
        rates = sweep_rates(o["sweep"]) if o["sweep"] else None
        wants_slo = rates is not None or any(
            o[name] is not None for name in ("slo_ttft", "slo_e2e", "slo_tbt")
        )
        slo = None
        if wants_slo:
            slo = Slo(
                percentile=o["slo_percentile"],
                ttft_s=o["slo_ttft"] if o["slo_ttft"] is not None else (1.0 if rates else None),
                e2e_s=o["slo_e2e"],
                tbt_s=o["slo_tbt"],
                max_throttled=o["slo_max_429"],
                max_failed_share=o["slo_max_failed"],
            )
        source, workload = _source(o, target.model, run_id, mode, shape_for)
        price_table = None
        if o["prices"] is not None:
            from sluicegate.bench.prices import load_prices

            price_table = load_prices(o["prices"])
    except ConfigError as error:
        usage_error(str(error))
    except ValueError as error:
        usage_error(str(error))
    spec = BenchSpec(
        target, plan, source, retry, workload, price_table, o["primary_backend"], o["label"], slo
    )
    return spec, rates


def _source(
    o: dict[str, Any], model: str | None, run_id: str, mode: str, shape_for: Callable[..., Any]
) -> tuple[Any, dict[str, Any]]:
    from sluicegate.bench.sources import ShapeSource, TraceSource
    from sluicegate.bench.trace import read_trace

    label = o["model"] or o["deployment"] or "model"
    if mode == "trace":
        if o["context_tokens"] is not None or o["max_tokens"] is not None:
            raise ValueError("--context-tokens and --max-tokens do not apply to --trace")
        entries = read_trace(o["trace"])
        workload = {
            "trace": str(o["trace"]),
            "requests": len(entries),
            "skipped": entries.skipped,
            "speed": o["speed"],
        }
        return TraceSource(entries, model, label, run_id, o["seed"]), workload
    shape = shape_for(o["shape"], o["context_tokens"], o["max_tokens"])
    workload = {
        "shape": shape.name,
        "context_tokens": shape.context_tokens,
        "max_tokens": shape.max_tokens,
    }
    return ShapeSource(shape, model, label, run_id, o["seed"]), workload


def _run(spec: BenchSpec, rates: list[float] | None, output: str, *, live: bool) -> RunResult:
    from rich.console import Console

    from sluicegate.bench.live import LiveView
    from sluicegate.bench.output import jsonl_line, sweep_lines
    from sluicegate.bench.session import run_once, run_sweep

    def on_window(window: dict[str, Any]) -> None:
        if output == "jsonl":
            typer.echo(jsonl_line("window", window))

    def on_step(step: dict[str, Any]) -> None:
        if output == "jsonl":
            typer.echo(jsonl_line("sweep_step", step))
        else:
            typer.echo(
                sweep_lines({"objectives": "", "steps": [step], "best_rate": 0, "goodput_rps": 0})[
                    1
                ],
                err=True,
            )

    console = Console(stderr=True)
    view = LiveView(console, spec.label or spec.target.label) if live else None
    on_start = view.watch if view is not None else None
    if view is None:
        typer.echo(f"benchmarking {spec.target.label}: {spec.plan.describe()}", err=True)

    async def main() -> RunResult:
        if rates is not None:
            return await run_sweep(
                spec, rates, on_step=on_step, on_window=on_window, on_start=on_start
            )
        return await run_once(spec, on_window=on_window, on_start=on_start)

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        if view is None:
            return runner.run(main())
        with view:
            return runner.run(main())


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def _emit_result(result: RunResult, output: str) -> None:
    from sluicegate.bench.output import human_report, jsonl_line

    if output == "jsonl":
        typer.echo(
            jsonl_line("summary", {"meta": result.meta, **result.summary, "sweep": result.sweep})
        )
    else:
        typer.echo(human_report(result))


def _saved(
    compare: tuple[Path, Path] | None, load: Path | None, output: str, report: Path | None
) -> None:
    from sluicegate.bench.output import comparison_text, jsonl_line
    from sluicegate.bench.results import ResultError, load_result

    try:
        paths = list(compare) if compare is not None else [load]
        results = [load_result(path) for path in paths if path is not None]
    except ResultError as error:
        usage_error(str(error))
    if len(results) == 2:
        if output == "jsonl":
            typer.echo(
                jsonl_line(
                    "comparison",
                    {"runs": [{"label": r.label, "meta": r.meta, **r.summary} for r in results]},
                )
            )
        else:
            typer.echo(comparison_text(results[0], results[1]))
    else:
        _emit_result(results[0], output)
    if report is not None:
        from sluicegate.bench.report import write_report

        write_report(results, report)
        typer.echo(f"wrote the report to {report}", err=True)
