"""How `sluicegate teams` shows teams: JSON for scripts, a table and a card for people."""

from __future__ import annotations

from typing import Any

import typer

from sluicegate.cli.key_views import iso, show_time
from sluicegate.core.budget import Budget
from sluicegate.core.identity import TeamRecord


def describe(record: TeamRecord) -> dict[str, Any]:
    """A team as JSON: what `teams list|show --format json` print."""
    budget = record.budget
    return {
        "name": record.name,
        "models": sorted(record.models),
        "limits": {"tpm": record.limits.tpm, "rpm": record.limits.rpm},
        "budget": None
        if budget is None
        else {
            "amount_usd": budget.amount_usd,
            "period": budget.period.value,
            "alert_at": budget.alert_at,
        },
        "created_at": iso(record.created_at),
    }


def show_models(record: TeamRecord) -> str:
    return ", ".join(sorted(record.models)) or "all"


def show_limit(value: int | None) -> str:
    return "none" if value is None else str(value)


def show_budget(budget: Budget | None) -> str:
    if budget is None:
        return "none"
    return f"{budget.describe()} (alert at {budget.alert_at:.0%})"


def print_table(records: list[TeamRecord]) -> None:
    """Like the keys table: never hides a column, and names are shown as data, not markup."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 1000
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("NAME", no_wrap=True)
    table.add_column("MODELS", min_width=4, overflow="fold")
    for column in ("TPM", "RPM"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("BUDGET", min_width=6, overflow="fold")
    table.add_column("CREATED (UTC)", min_width=7, overflow="fold")
    for record in records:
        cells = (
            record.name,
            show_models(record),
            show_limit(record.limits.tpm),
            show_limit(record.limits.rpm),
            show_budget(record.budget),
            show_time(record.created_at),
        )
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)


def print_record(record: TeamRecord) -> None:
    lines = [
        f"team {record.name}",
        f"  models:   {show_models(record)}",
        f"  tpm:      {show_limit(record.limits.tpm)}",
        f"  rpm:      {show_limit(record.limits.rpm)}",
        f"  budget:   {show_budget(record.budget)}",
        f"  created:  {show_time(record.created_at)}",
    ]
    typer.echo("\n".join(lines))
