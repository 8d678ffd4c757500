"""The summary as rich tables in the terminal: quality per version, the comparison with the
baseline, cost and latency, and judge agreement when experts marked answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sluicegate.evals import formatting as fmt

_VERDICT_STYLE = {"better": "green", "worse": "bold red"}


def print_summary(console: Console, summary: Mapping[str, Any]) -> None:
    prompts = summary["prompts"]
    if summary["metrics"]:
        console.print(_quality(summary))
    if summary["comparisons"]:
        console.print(_comparisons(summary))
    console.print(_costs(prompts))
    if summary["agreement"]:
        console.print(_agreement(summary))
    for warning in summary["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)


def _quality(summary: Mapping[str, Any]) -> Table:
    prompts = summary["prompts"]
    quality = Table(title="Quality by version", title_justify="left")
    quality.add_column("metric")
    for p in prompts:
        quality.add_column(Text(f"{p['spec']} ({p['role']})"), justify="right")
    for metric in summary["metrics"]:
        name = metric["name"]
        quality.add_row(Text(name), *(fmt.metric_cell(p["metrics"][name]) for p in prompts))
    return quality


def _comparisons(summary: Mapping[str, Any]) -> Table:
    confidence = 100 * (1 - summary["alpha"])
    table = Table(title="Candidates against the baseline", title_justify="left")
    for name, justify in (("candidate", "left"), ("metric", "left"), ("n", "right"),
                          ("difference", "right"), (f"{confidence:g}% interval", "right"),
                          ("p", "right"), ("W/T/L", "right"),
                          ("verdict", "left")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for c in summary["comparisons"]:
        kind = c["kind"]
        verdict = c["verdict"] + (" (!)" if c["warnings"] else "")
        style = _VERDICT_STYLE.get(c["verdict"], "")
        table.add_row(
            Text(c["candidate"]),
            Text(c["metric"]),
            str(c["n"]),
            fmt.difference(kind, c["difference"]),
            fmt.interval(kind, c["ci"]),
            fmt.p_value(c["p_value"]),
            f"{c['wins']}/{c['ties']}/{c['losses']}",
            f"[{style}]{verdict}[/]" if style else verdict,
        )
    if any(c["warnings"] for c in summary["comparisons"]):
        table.caption = "(!) few paired items or changed outcomes: see summary.json warnings"
    return table


def _costs(prompts: Any) -> Table:
    table = Table(title="Cost, tokens and latency", title_justify="left")
    for name in ("prompt", "served by", "answered", "errors", "tokens/answer", "cost",
                 "latency p50", "p95"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("prompt", "served by") else "right")
    for p in prompts:
        per_answer = p["tokens"]["mean_per_answer"]
        table.add_row(
            Text(p["spec"]),
            Text(fmt.resolved(p["resolved_versions"])),
            str(p["answered"]),
            str(p["errors"]),
            "—" if per_answer is None else f"{per_answer:.1f}",
            fmt.usd(p["cost_usd"]["total"]) if p["cost_usd"] else "—",
            fmt.seconds(p["latency_s"]["p50"]),
            fmt.seconds(p["latency_s"]["p95"]),
        )
    return table


def _agreement(summary: Mapping[str, Any]) -> Table:
    table = Table(title="LLM judges against experts", title_justify="left")
    for name in ("judge", "answers", "agreement", "kappa"):
        table.add_column(name, justify="left" if name == "judge" else "right")
    for a in summary["agreement"]:
        kappa = a["kappa"]
        table.add_row(
            Text(a["metric"]),
            str(a["n"]),
            fmt.metric_value("pass_fail", a["agreement"]),
            "—" if kappa is None else f"{kappa:.2f}",
        )
    return table
