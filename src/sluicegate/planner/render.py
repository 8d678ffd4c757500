"""The plan as text, as JSON, as a plot and as an HTML report."""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from sluicegate.planner.plan import CostRow, Plan
from sluicegate.reports import HtmlReport, new_figure

COST_HEADERS = (
    "PTUs",
    "PTU $/month",
    "PAYG $/month",
    "Total $/month",
    "PTU utilization",
    "Tokens spilled",
    "Minutes spilling",
    "Minutes refused",
)


def as_json(plans: list[Plan]) -> dict[str, Any]:
    return {"plans": [_plan_json(plan) for plan in plans]}


def _plan_json(plan: Plan) -> dict[str, Any]:
    capacity = plan.capacity
    even = plan.break_even_utilization
    return {
        "model": plan.model,
        "source": plan.source,
        "period_minutes": plan.minutes,
        "month_factor": plan.month_factor,
        "requests": plan.requests,
        "prompt_tokens": plan.prompt_tokens,
        "completion_tokens": plan.completion_tokens,
        "capacity": capacity.model_dump(),
        "percentile": plan.options.percentile,
        "payg_tpm": plan.options.payg_tpm,
        "payg_rpm": plan.options.payg_rpm,
        "percentile_weighted_tpm": plan.weighted_percentile_tpm,
        "peak_weighted_tpm": plan.peak_weighted_tpm,
        "exact_ptus": plan.exact_ptus,
        "ptus_for_percentile": plan.ptus_for_percentile,
        "ptus_for_peak": plan.ptus_for_peak,
        "monthly_usd": {
            "all_payg": plan.payg_month_usd,
            "all_ptu": plan.all_ptu_month_usd,
            "recommended": plan.recommended.total_usd,
        },
        "break_even_utilization": None if even is None or not math.isfinite(even) else even,
        "cheapest_ptus": plan.best.ptus,
        "recommended_ptus": plan.recommended.ptus,
        "rows": [_row_json(row) for row in plan.rows],
        "reasons": plan.reasons,
        "warnings": plan.warnings,
    }


def _row_json(row: CostRow) -> dict[str, Any]:
    result = row.replay
    return {
        "ptus": row.ptus,
        "ptu_usd": row.ptu_usd,
        "payg_usd": row.payg_usd,
        "total_usd": row.total_usd,
        "utilization": row.utilization,
        "spill_share": row.spill_share,
        "refused_share": row.refused_share,
        "minutes_spilling": row.minutes_spilling,
        "minutes_refused": row.minutes_refused,
        "ptu_requests": result.ptu_requests,
        "spilled_requests": result.spilled_requests,
        "refused_requests": result.refused_requests,
        "ptu_tokens": result.ptu_tokens,
        "spilled_tokens": result.spilled_tokens,
        "refused_tokens": result.refused_tokens,
    }


def _cells(row: CostRow, plan: Plan) -> list[str]:
    return [
        f"{row.ptus:,}" + ("*" if row.ptus == plan.recommended.ptus else " "),
        f"{row.ptu_usd:,.0f}",
        f"{row.payg_usd:,.0f}",
        f"{row.total_usd:,.0f}",
        f"{row.utilization:.1%}" if row.ptus else "—",
        f"{row.spill_share:.1%}",
        f"{row.minutes_spilling:,}",
        f"{row.minutes_refused:,}",
    ]


def summary(plan: Plan) -> dict[str, str]:
    even = plan.break_even_utilization
    return {
        "Model": plan.model,
        "Input": plan.source,
        "Period": f"{plan.minutes:,} minutes ({plan.minutes / 1440:.2f} days), scaled × "
        f"{plan.month_factor:.2f} to a 730-hour month",
        "Requests": f"{plan.requests:,} ({plan.prompt_tokens:,} prompt + "
        f"{plan.completion_tokens:,} completion tokens)",
        f"p{plan.options.percentile:g} minute": f"{plan.weighted_percentile_tpm:,.0f} weighted "
        f"tokens → {plan.exact_ptus:.1f} PTUs → {plan.ptus_for_percentile} deployable",
        "Peak minute": f"{plan.peak_weighted_tpm:,.0f} weighted tokens → {plan.ptus_for_peak} PTUs",
        "All PAYG": f"${plan.payg_month_usd:,.0f} per month",
        "All PTU (peak)": f"${plan.all_ptu_month_usd:,.0f} per month ({plan.ptus_for_peak} PTUs)",
        "Break-even utilization": "—"
        if even is None
        else ("never" if not math.isfinite(even) else f"{even:.1%}"),
        "Recommended": f"{plan.recommended.ptus} PTUs + PAYG spillover: "
        f"${plan.recommended.total_usd:,.0f} per month",
    }


def as_text(plans: list[Plan]) -> str:
    blocks: list[str] = []
    for plan in plans:
        lines = [f"Capacity plan for {plan.model}", ""]
        width = max(len(key) for key in summary(plan))
        lines += [f"  {key:<{width}}  {value}" for key, value in summary(plan).items()]
        lines += ["", "Monthly cost by PTU count (PAYG takes what the PTU refuses):", ""]
        table = [list(COST_HEADERS)] + [_cells(row, plan) for row in plan.rows]
        widths = [max(len(line[column]) for line in table) for column in range(len(COST_HEADERS))]
        for index, line in enumerate(table):
            lines.append(
                "  " + "  ".join(cell.rjust(widths[column]) for column, cell in enumerate(line))
            )
            if index == 0:
                lines.append("  " + "  ".join("-" * size for size in widths))
        lines += ["  (* recommended)", "", "Recommendation:"]
        lines += [f"  - {reason}" for reason in plan.reasons]
        if plan.warnings:
            lines += ["", "Warnings:"] + [f"  - {warning}" for warning in plan.warnings]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def cost_figure(plans: list[Plan]) -> Figure:
    """Monthly cost versus PTU count, one panel per model: PTU+PAYG total and its PTU part,
    all-PAYG as a line, the recommended count marked."""
    figure = new_figure(8.0, 4.2 * len(plans))
    for index, plan in enumerate(plans, start=1):
        axes = figure.add_subplot(len(plans), 1, index)
        counts = [row.ptus for row in plan.rows]
        axes.plot(counts, [row.total_usd for row in plan.rows], marker="o", label="PTU + PAYG")
        axes.plot(counts, [row.ptu_usd for row in plan.rows], linestyle="--", label="PTU part")
        axes.axhline(plan.payg_month_usd, color="tab:green", linestyle=":", label="All PAYG")
        chosen = plan.recommended
        axes.scatter(
            [chosen.ptus],
            [chosen.total_usd],
            s=120,
            color="tab:red",
            zorder=3,
            label=f"Recommended: {chosen.ptus} PTUs",
        )
        axes.set_title(f"{plan.model}: monthly cost versus PTU count")
        axes.set_xlabel("PTUs")
        axes.set_ylabel("USD per month")
        axes.yaxis.set_major_formatter(StrMethodFormatter("${x:,.0f}"))
        axes.grid(alpha=0.3)
        axes.legend(loc="best")
    return figure


def html_report(plans: list[Plan]) -> HtmlReport:
    report = HtmlReport(
        "Capacity plan: PTU and PAYG",
        subtitle=", ".join(f"{plan.model} ({plan.source})" for plan in plans),
        footer="Prices and capacities come from the capacity table shown above; they vary by "
        "region, deployment type and agreement, so check them before buying.",
    )
    for plan in plans:
        head = report.section(f"{plan.model}: recommendation")
        head.summary(dict(summary(plan)))
        head.bullets(plan.reasons)
        if plan.warnings:
            head.bullets(plan.warnings)
        costs = report.section(f"{plan.model}: monthly cost by PTU count")
        costs.figure(
            cost_figure([plan]),
            caption="Monthly cost versus PTU count",
            alt=f"Monthly cost of {plan.model} versus PTU count",
        )
        costs.table(
            list(COST_HEADERS),
            [_cells(row, plan) for row in plan.rows],
            caption="PAYG takes what the PTU refuses; refused minutes are 429s to clients "
            "(only with a PAYG quota). * recommended.",
        )
        table = report.section(f"{plan.model}: capacity table used")
        table.table(["Field", "Value"], list(plan.capacity.model_dump().items()))
    return report
