"""How `sluicegate blocklists` shows lists: JSON for scripts, a table and a card for people.

The listing shows counts only, like the admin API: lists may be long and their entries
sensitive, so they are printed when one list is asked for by name.
"""

from __future__ import annotations

from typing import Any

import typer

from sluicegate.cli.key_views import iso, show_time
from sluicegate.core.blocklists import BlocklistRecord


def describe(record: BlocklistRecord) -> dict[str, Any]:
    """A whole list as JSON: what `blocklists show --format json` prints."""
    return {
        "name": record.name,
        "description": record.description,
        "terms": list(record.terms),
        "patterns": list(record.patterns),
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
    }


def summarise(record: BlocklistRecord) -> dict[str, Any]:
    """A list without its entries: what `blocklists list --format json` prints."""
    return {
        "name": record.name,
        "description": record.description,
        "term_count": len(record.terms),
        "pattern_count": len(record.patterns),
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
    }


def counted(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def sizes(record: BlocklistRecord) -> str:
    """`3 terms, 1 pattern`."""
    return f"{counted(len(record.terms), 'term')}, {counted(len(record.patterns), 'pattern')}"


def print_table(records: list[BlocklistRecord]) -> None:
    """Like the teams table: never hides a column, and names are shown as data, not markup."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 1000
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("NAME", no_wrap=True)
    for column in ("TERMS", "PATTERNS"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("UPDATED (UTC)", min_width=7, overflow="fold")
    table.add_column("DESCRIPTION", min_width=11, overflow="fold")
    for record in records:
        cells = (
            record.name,
            str(len(record.terms)),
            str(len(record.patterns)),
            show_time(record.updated_at),
            record.description or "-",
        )
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)


def print_record(record: BlocklistRecord) -> None:
    """The card of one list, its entries one per line as stored."""
    lines = [
        f"blocklist {record.name}",
        f"  description: {record.description or '-'}",
        f"  created:     {show_time(record.created_at)}",
        f"  updated:     {show_time(record.updated_at)}",
        f"  terms ({len(record.terms)}):",
        *(f"    {term}" for term in record.terms),
        f"  patterns ({len(record.patterns)}):",
        *(f"    {pattern}" for pattern in record.patterns),
    ]
    typer.echo("\n".join(lines))
