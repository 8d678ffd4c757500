"""`sluicegate plan`: PTU/PAYG capacity and cost planning from a traffic profile or usage log.

The planner (and matplotlib) is imported inside the command, so `sluicegate --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sluicegate.cli.store_access import usage_error

if TYPE_CHECKING:
    from sluicegate.planner.plan import Plan

_INPUT = "Input"
_MODEL = "Capacity and prices"
_OUT = "Output"


def plan_command(
    profile: Annotated[
        Path | None,
        typer.Option(
            help="Traffic profile (YAML, a typical day hour by hour).", rich_help_panel=_INPUT
        ),
    ] = None,
    usage: Annotated[
        Path | None,
        typer.Option(
            help="Usage log exported from the ledger: `sluicegate usage export` as it is, or "
            ".csv/.jsonl with at (or timestamp), model, prompt_tokens, completion_tokens.",
            rich_help_panel=_INPUT,
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            help="Plan only this model (repeatable); default: every model of the input.",
            rich_help_panel=_INPUT,
        ),
    ] = None,
    capacity: Annotated[
        Path | None,
        typer.Option(
            help="Capacity table (YAML); default: the shipped one.", rich_help_panel=_MODEL
        ),
    ] = None,
    print_capacity: Annotated[
        bool,
        typer.Option(
            "--print-capacity",
            help="Print the shipped capacity table and exit.",
            rich_help_panel=_MODEL,
        ),
    ] = False,
    percentile: Annotated[
        float,
        typer.Option(
            min=0.1,
            max=100.0,
            help="Size the PTUs for this percentile of minutes.",
            rich_help_panel=_MODEL,
        ),
    ] = 95.0,
    payg_tpm: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="PAYG tokens-per-minute quota (overrides the table's payg_tpm).",
            rich_help_panel=_MODEL,
        ),
    ] = None,
    payg_rpm: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="PAYG requests-per-minute quota (overrides the table's payg_rpm).",
            rich_help_panel=_MODEL,
        ),
    ] = None,
    output: Annotated[str, typer.Option(help="human or json.", rich_help_panel=_OUT)] = "human",
    plot: Annotated[
        Path | None,
        typer.Option(help="Write the cost-versus-PTU plot to this PNG file.", rich_help_panel=_OUT),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Write a self-contained HTML report to this file.", rich_help_panel=_OUT),
    ] = None,
) -> None:
    """How many PTUs to buy: PTUs for a percentile of minutes, monthly cost of all-PAYG,
    all-PTU and PTU+PAYG spillover at several PTU counts, break-even utilization, spill and
    429 risk, and a recommendation (docs/planner.md)."""
    from sluicegate.planner.capacity import default_capacity_text

    if print_capacity:
        typer.echo(default_capacity_text(), nl=False)
        return
    if output not in {"human", "json"}:
        usage_error(f"--output must be human or json, not {output!r}")
    if (profile is None) == (usage is None):
        usage_error("give exactly one input: --profile FILE.yaml or --usage FILE.csv|FILE.jsonl")
    for path, option in ((plot, "--plot"), (report, "--report")):
        if path is not None and not path.parent.is_dir():
            usage_error(f"{option} {path}: the directory {path.parent} does not exist")

    from sluicegate.planner.errors import PlanInputError

    try:
        plans = _plans(profile, usage, model or [], capacity, percentile, payg_tpm, payg_rpm)
    except PlanInputError as error:
        usage_error(str(error))

    from sluicegate.planner import render
    from sluicegate.reports import write_png

    if output == "json":
        typer.echo(json.dumps(render.as_json(plans), indent=2))
    else:
        typer.echo(render.as_text(plans), nl=False)
    try:
        if plot is not None:
            write_png(render.cost_figure(plans), plot)
        if report is not None:
            render.html_report(plans).write(report)
    except OSError as error:
        usage_error(f"cannot write {error.filename}: {error.strerror}")
    for path, what in ((plot, "plot"), (report, "report")):
        if path is not None:
            typer.echo(f"{what} written to {path}", err=True)


def _plans(
    profile: Path | None,
    usage: Path | None,
    models: list[str],
    capacity: Path | None,
    percentile: float,
    payg_tpm: int | None,
    payg_rpm: int | None,
) -> list[Plan]:
    from sluicegate.planner.capacity import load_capacity_table
    from sluicegate.planner.demand import Demand
    from sluicegate.planner.errors import PlanInputError
    from sluicegate.planner.plan import PlanOptions, make_plan
    from sluicegate.planner.profile import load_profile, profile_demand
    from sluicegate.planner.usage_log import log_demands, read_usage_log

    table, table_source = load_capacity_table(capacity)
    demands: dict[str, Demand]
    if profile is not None:
        loaded = load_profile(profile)
        demands = {loaded.model: profile_demand(loaded, f"traffic profile {profile}")}
    else:
        assert usage is not None
        log = read_usage_log(usage)
        demands = log_demands(log)
    if models:
        unknown = [name for name in models if name not in demands]
        if unknown:
            raise PlanInputError(
                f"--model {', '.join(unknown)}: not in the input, which has "
                f"{', '.join(sorted(demands))}"
            )
        demands = {name: demands[name] for name in models}
    plans = []
    for name, demand in demands.items():
        entry = table.model(name, table_source)
        options = PlanOptions(
            percentile=percentile,
            payg_tpm=payg_tpm if payg_tpm is not None else entry.payg_tpm,
            payg_rpm=payg_rpm if payg_rpm is not None else entry.payg_rpm,
        )
        plans.append(make_plan(demand, entry, options))
    return plans
