"""Printing results: JSON lines for machines, tables for people, two runs side by side."""

from __future__ import annotations

from typing import Any

import orjson

from sluicegate.bench.results import RunResult

Row = tuple[str, str]


def jsonl_line(kind: str, figures: dict[str, Any]) -> str:
    """One JSON object on one line: `{"type": "window", ...}` or `{"type": "summary", ...}`."""
    return orjson.dumps({"type": kind, **figures}).decode()


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:,.1f} ms"


def _num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def summary_rows(summary: dict[str, Any]) -> list[Row]:
    """The figures of a summary (or a window) as (name, value) rows, in reading order."""
    rows: list[Row] = [
        ("requests", _num(summary["requests"])),
        ("completed", _num(summary["completed"])),
        ("failed", _num(summary["failed"])),
        ("throttled (final 429)", _num(summary["throttled"])),
        ("429 replies (with retried)", _num(summary["throttle_responses"])),
        ("retries", _num(summary["retries"])),
        ("measured seconds", _num(summary["seconds"], 2)),
        ("RPM", _num(summary["rpm"], 1)),
        ("context TPM", _num(summary["context_tpm"])),
        ("generated TPM", _num(summary["generated_tpm"])),
        ("total TPM", _num(summary["total_tpm"])),
    ]
    for metric, name in (("e2e", "e2e latency"), ("ttft", "TTFT"), ("tbt", "TBT")):
        dist = summary[metric]
        rows.append(
            (
                name,
                " / ".join(_ms(dist.get(key)) for key in ("p50", "p90", "p95", "p99"))
                + "  (p50/p90/p95/p99)",
            )
        )
    lag = summary["send_lag"]
    rows.append(
        ("send lag p50 / p99 / max", f"{_ms(lag['p50'])} / {_ms(lag['p99'])} / {_ms(lag['max'])}")
    )
    utilization = summary["utilization"]
    if utilization["max"] is not None:
        rows.append(
            (
                "PTU utilization mean / max",
                f"{_pct(utilization['mean'])} / {_pct(utilization['max'])}",
            )
        )
    if summary["served_by"]:
        served = ", ".join(
            f"{name} {count}" for name, count in sorted(summary["served_by"].items())
        )
        rows.append(("served by", served))
        rows.append(
            (f"spillover (not {summary['primary_backend']})", _pct(summary["spillover_share"]))
        )
        rows.append(("gateway tried >1 backend", _pct(summary["gateway_retried_share"])))
    if summary["errors"]:
        errors = ", ".join(f"{name} {count}" for name, count in sorted(summary["errors"].items()))
        rows.append(("errors", errors))
    cost = summary.get("cost")
    if cost is not None:
        rows.append(("cost", f"${cost['total_usd']:,.4f}"))
        rows.append(
            (
                "cost per 1k requests",
                "—"
                if cost["per_1k_requests_usd"] is None
                else f"${cost['per_1k_requests_usd']:,.4f}",
            )
        )
        if cost["unpriced_requests"]:
            rows.append(("unpriced (no price for)", ", ".join(cost["unpriced_requests"])))
    slo = summary.get("slo")
    if slo is not None:
        verdict = "met" if not slo["violations"] else "missed: " + "; ".join(slo["violations"])
        rows.append(("SLO " + slo["objectives"], verdict))
        rows.append(("goodput", f"{slo['goodput_rps']:,.2f} req/s"))
    return rows


def human_report(result: RunResult) -> str:
    """The summary as aligned text (what `--output human` prints)."""
    lines = [f"{result.label}", f"  {result.meta.get('load', '')}"]
    rows = summary_rows(result.summary)
    width = max(len(name) for name, _ in rows)
    lines += [f"  {name:<{width}}  {value}" for name, value in rows]
    if result.sweep is not None:
        lines.append("")
        lines.extend(sweep_lines(result.sweep))
    return "\n".join(lines)


def sweep_lines(sweep: dict[str, Any]) -> list[str]:
    lines = [f"sweep against: {sweep['objectives']}"]
    for step in sweep["steps"]:
        summary = step["summary"]
        verdict = "pass" if step["passed"] else "FAIL " + "; ".join(step["violations"])
        lines.append(
            f"  {step['rate']:>8g} req/s  completed {summary['completed']:>6}  "
            f"p95 TTFT {_ms(summary['ttft']['p95']):>11}  goodput "
            f"{step['goodput_rps']:8.2f} req/s  {verdict}"
        )
    if sweep["best_rate"] is None:
        lines.append("no rate met the objectives")
    else:
        lines.append(
            f"highest rate meeting them: {sweep['best_rate']:g} req/s "
            f"(goodput {sweep['goodput_rps']:.2f} req/s)"
        )
    return lines


def comparison_rows(first: RunResult, second: RunResult) -> list[tuple[str, str, str, str]]:
    """(figure, first, second, change) for the figures both runs have."""
    left = dict(summary_rows(first.summary))
    right = dict(summary_rows(second.summary))
    rows = []
    for name in [*left, *(key for key in right if key not in left)]:
        rows.append((name, left.get(name, "—"), right.get(name, "—"), ""))
    changes = _changes(first.summary, second.summary)
    return [(name, a, b, changes.get(name, c)) for name, a, b, c in rows]


def _changes(first: dict[str, Any], second: dict[str, Any]) -> dict[str, str]:
    """Relative change of the headline figures (second against first)."""
    pairs = {
        "RPM": (first["rpm"], second["rpm"]),
        "total TPM": (first["total_tpm"], second["total_tpm"]),
        "generated TPM": (first["generated_tpm"], second["generated_tpm"]),
    }
    for metric, name in (("e2e", "e2e latency"), ("ttft", "TTFT"), ("tbt", "TBT")):
        pairs[name] = (first[metric]["p95"], second[metric]["p95"])
    changes = {}
    for name, (a, b) in pairs.items():
        if a and b is not None:
            suffix = " (p95)" if name in ("e2e latency", "TTFT", "TBT") else ""
            changes[name] = f"{(b - a) / a:+.1%}{suffix}"
    return changes


def comparison_text(first: RunResult, second: RunResult) -> str:
    rows = [("", first.label, second.label, "change"), *comparison_rows(first, second)]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(widths[column]) for column, cell in enumerate(row)).rstrip()
        for row in rows
    )
