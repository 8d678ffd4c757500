"""How `sluicegate prompts` shows the registry: JSON for scripts, tables and cards for people."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import typer

from sluicegate.admin.prompt_refs import describe_targets
from sluicegate.admin.prompts import Shown
from sluicegate.cli.key_views import iso, show_time
from sluicegate.core.prompts import (
    LabelMove,
    LabelTarget,
    PromptLabel,
    PromptSummary,
    PromptVersion,
)


def targets_json(targets: Sequence[LabelTarget]) -> list[dict[str, int]]:
    return [{"version": target.version, "weight": target.weight} for target in targets]


def label_json(label: PromptLabel) -> dict[str, Any]:
    return {
        "label": label.label,
        "targets": targets_json(label.targets),
        "updated_at": iso(label.updated_at),
        "updated_by": label.updated_by,
    }


def summary_json(summary: PromptSummary) -> dict[str, Any]:
    return {
        "name": summary.name,
        "latest": summary.latest,
        "labels": [label_json(label) for label in summary.labels],
        "updated_at": iso(summary.updated_at),
    }


def version_json(version: PromptVersion, *, source: bool = False) -> dict[str, Any]:
    described: dict[str, Any] = {
        "name": version.name,
        "version": version.version,
        "ref": version.ref,
        "content_hash": version.content_hash,
        "parent": version.parent,
        "author": version.author,
        "message": version.message,
        "created_at": iso(version.created_at),
    }
    if source:
        described["source"] = version.source
    return described


def shown_json(shown: Shown) -> dict[str, Any]:
    return {
        **version_json(shown.version, source=True),
        "labels": [label.label for label in shown.labels],
        "latest": shown.latest,
    }


def move_json(move: LabelMove) -> dict[str, Any]:
    return {
        "label": move.label,
        "before": targets_json(move.before),
        "after": targets_json(move.after),
        "actor": move.actor,
        "at": iso(move.at),
        "note": move.note,
    }


def show_labels(labels: Sequence[PromptLabel]) -> str:
    """`production=v3, canary=v3 (90), v4 (10)`; `-` for none."""
    return ", ".join(f"{label.label}={describe_targets(label.targets)}" for label in labels) or "-"


def print_rows(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A plain table that never hides a column; cells are data, never markup."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 1000
    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)


def print_summaries(summaries: Sequence[PromptSummary]) -> None:
    rows = [
        (s.name, f"v{s.latest}", show_labels(s.labels), show_time(s.updated_at)) for s in summaries
    ]
    print_rows(("NAME", "LATEST", "LABELS", "UPDATED (UTC)"), rows)


def print_versions(versions: Sequence[PromptVersion]) -> None:
    rows = [
        (f"v{v.version}", show_time(v.created_at), v.author, v.content_hash[:12], v.message)
        for v in versions
    ]
    print_rows(("VERSION", "CREATED (UTC)", "AUTHOR", "SHA256", "MESSAGE"), rows)


def print_history(moves: Sequence[LabelMove]) -> None:
    rows = [
        (
            show_time(move.at),
            move.label,
            describe_targets(move.before),
            describe_targets(move.after),
            move.actor,
            move.note,
        )
        for move in moves
    ]
    print_rows(("AT (UTC)", "LABEL", "FROM", "TO", "BY", "NOTE"), rows)


def print_shown(shown: Shown) -> None:
    """A card, then the source as it was pushed."""
    version = shown.version
    labels = ", ".join(label.label for label in shown.labels) or "-"
    parent = f"v{version.parent}" if version.parent is not None else "-"
    lines = [
        f"prompt {version.ref}",
        f"  latest:  v{shown.latest}",
        f"  labels:  {labels}",
        f"  parent:  {parent}",
        f"  author:  {version.author}",
        f"  created: {show_time(version.created_at)}",
        f"  sha256:  {version.content_hash}",
        f"  message: {version.message or '-'}",
        "",
    ]
    typer.echo("\n".join(lines))
    typer.echo(version.source, nl=not version.source.endswith("\n"))
