"""The HTML report of one run, or of two side by side: headline figures, then plots of latency
percentiles and throughput over time, TTFT and TBT histograms, and 429s and spillover over time.
The page is self-contained (see `sluicegate.reports`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sluicegate.bench.metrics import time_between_tokens
from sluicegate.bench.output import comparison_rows, summary_rows, sweep_lines
from sluicegate.bench.results import RunResult
from sluicegate.reports import HtmlReport, new_figure


def write_report(results: Sequence[RunResult], path: Path) -> Path:
    """One result gives a run report; two give a comparison (the first is the baseline)."""
    report = _single(results[0]) if len(results) == 1 else _comparison(results[0], results[1])
    return report.write(path)


def _single(result: RunResult) -> HtmlReport:
    meta = result.meta
    report = HtmlReport(
        f"Benchmark: {result.label}",
        subtitle=f"{meta.get('load', '')}; started {meta.get('started_at', '?')}",
        footer="sluicegate bench — figures are defined in docs/bench.md",
    )
    summary = report.section("Summary")
    summary.table(["Figure", "Value"], summary_rows(result.summary))
    summary.preformatted(_describe(meta))
    if result.sweep is not None:
        sweep = report.section("Sweep")
        sweep.preformatted("\n".join(sweep_lines(result.sweep)))
        sweep.figure(_sweep_figure(result.sweep), caption="p95 TTFT and goodput by offered rate")
    _plots(report, [result])
    return report


def _comparison(first: RunResult, second: RunResult) -> HtmlReport:
    report = HtmlReport(
        f"Benchmark comparison: {first.label} vs {second.label}",
        subtitle=f"{first.meta.get('load', '')} | {second.meta.get('load', '')}",
        footer="sluicegate bench --compare — changes are the second run against the first",
    )
    section = report.section("Side by side")
    section.table(["Figure", first.label, second.label, "Change"], comparison_rows(first, second))
    _plots(report, [first, second])
    return report


def _describe(meta: dict[str, Any]) -> str:
    lines = [f"target:   {meta.get('target')}", f"load:     {meta.get('load')}"]
    lines.append(f"workload: {meta.get('workload')}")
    lines.append(f"retry:    {meta.get('retry')}")
    lines.append(f"host:     {meta.get('host')} (Python {meta.get('python')})")
    return "\n".join(lines)


def _plotted(result: RunResult) -> list[dict[str, Any]]:
    """The windows worth plotting: a last window under half the width is left out, as its rates
    over a sliver of time would dwarf the rest (its requests are in the summary)."""
    width = float(result.meta.get("plan", {}).get("window") or 0.0)
    return [w for w in result.windows if w["end"] - w["start"] >= 0.5 * width]


def _times(result: RunResult) -> list[float]:
    start = float(result.meta.get("measure_start", 0.0))
    return [window["end"] - start for window in _plotted(result)]


def _series(result: RunResult, metric: str, key: str, scale: float = 1.0) -> list[float]:
    values = []
    for window in _plotted(result):
        value = window[metric][key] if isinstance(window[metric], dict) else window[metric]
        values.append(float("nan") if value is None else value * scale)
    return values


def _plots(report: HtmlReport, results: Sequence[RunResult]) -> None:
    section = report.section("Over time")
    section.figure(_latency_figure(results), caption="TTFT and e2e latency percentiles per window")
    section.figure(_throughput_figure(results), caption="Completed requests and tokens per minute")
    section.figure(_throttle_figure(results), caption="429 replies and spillover share per window")
    section = report.section("Distributions")
    section.figure(_histograms(results), caption="TTFT and TBT of every completed request")


def _label(result: RunResult, many: bool) -> str:
    return f"{result.label}: " if many else ""


def _latency_figure(results: Sequence[RunResult]) -> Figure:
    figure = new_figure(9.0, 6.0)
    axes = figure.subplots(2, 1, sharex=True)
    many = len(results) > 1
    for row, (metric, name) in enumerate((("ttft", "TTFT"), ("e2e", "e2e latency"))):
        ax: Axes = axes[row]
        for result in results:
            times = _times(result)
            for key, style in (("p50", ":"), ("p95", "-"), ("p99", "--")):
                ax.plot(
                    times,
                    _series(result, metric, key, 1000.0),
                    style,
                    label=f"{_label(result, many)}{key}",
                )
        ax.set_ylabel(f"{name} (ms)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    axes[1].set_xlabel("seconds into the measurement (window end)")
    return figure


def _throughput_figure(results: Sequence[RunResult]) -> Figure:
    figure = new_figure(9.0, 6.0)
    top, bottom = figure.subplots(2, 1, sharex=True)
    many = len(results) > 1
    for result in results:
        times = _times(result)
        top.plot(times, _series(result, "rpm", ""), label=f"{_label(result, many)}RPM")
        for metric, name in (("total_tpm", "total"), ("generated_tpm", "generated")):
            bottom.plot(
                times, _series(result, metric, ""), label=f"{_label(result, many)}{name} TPM"
            )
    top.set_ylabel("requests / min")
    bottom.set_ylabel("tokens / min")
    bottom.set_xlabel("seconds into the measurement (window end)")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return figure


def _throttle_figure(results: Sequence[RunResult]) -> Figure:
    figure = new_figure(9.0, 5.0)
    top, bottom = figure.subplots(2, 1, sharex=True)
    many = len(results) > 1
    for result in results:
        times = _times(result)
        top.plot(
            times,
            _series(result, "throttle_responses", ""),
            marker=".",
            label=f"{_label(result, many)}429 replies",
        )
        bottom.plot(
            times,
            _series(result, "spillover_share", "", 100.0),
            marker=".",
            label=f"{_label(result, many)}spillover",
        )
    top.set_ylabel("429 replies")
    bottom.set_ylabel("spillover (%)")
    bottom.set_xlabel("seconds into the measurement (window end)")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return figure


def _histograms(results: Sequence[RunResult]) -> Figure:
    figure = new_figure(9.0, 4.0)
    left, right = figure.subplots(1, 2)
    many = len(results) > 1
    for result in results:
        done = [o for o in result.outcomes if o.completed]
        ttfts = [t * 1000 for o in done if (t := o.ttft) is not None]
        tbts = [
            t * 1000
            for o in done
            if (ttft := o.ttft) is not None
            and (t := time_between_tokens(o.e2e, ttft, o.generated_tokens)) is not None
        ]
        label = result.label if many else None
        if ttfts:
            left.hist(ttfts, bins=40, alpha=0.6, label=label)
        if tbts:
            right.hist(tbts, bins=40, alpha=0.6, label=label)
    left.set_xlabel("TTFT (ms)")
    right.set_xlabel("TBT (ms)")
    left.set_ylabel("requests")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        if many:
            ax.legend(fontsize="small")
    return figure


def _sweep_figure(sweep: dict[str, Any]) -> Figure:
    figure = new_figure(9.0, 4.0)
    left, right = figure.subplots(1, 2)
    steps = sweep["steps"]
    rates = [step["rate"] for step in steps]
    p95 = [
        float("nan") if (v := step["summary"]["ttft"]["p95"]) is None else v * 1000
        for step in steps
    ]
    left.plot(rates, p95, marker="o")
    left.set_xlabel("offered rate (req/s)")
    left.set_ylabel("p95 TTFT (ms)")
    right.plot(rates, [step["goodput_rps"] for step in steps], marker="o")
    right.set_xlabel("offered rate (req/s)")
    right.set_ylabel("goodput (req/s)")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    return figure
