"""`--format table|json` of the commands that read the registries (keys, teams, blocklists,
prompts, datasets): JSON for scripts, tables and cards for people, chosen in one place so that
every command checks and prints the option alike."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer

from sluicegate.cli.store_access import usage_error

T = TypeVar("T")

FORMATS = ("table", "json")

FormatOption = Annotated[str, typer.Option("--format", "-f", help="table (text) or json.")]


def check_format(output: str) -> None:
    """Refuse an unknown --format before any work is done (exit 2)."""
    if output not in FORMATS:
        usage_error(f"--format {output!r}: use table or json")


def print_one(
    output: str,
    value: T,
    as_json: Callable[[T], Any],
    as_text: Callable[[T], None],
    *,
    ensure_ascii: bool = True,
) -> None:
    """One record: its JSON (indented), or `as_text` prints it for people."""
    if output == "json":
        typer.echo(json.dumps(as_json(value), indent=2, ensure_ascii=ensure_ascii))
    else:
        as_text(value)


def print_many(
    output: str,
    values: Sequence[T],
    as_json: Callable[[T], Any],
    as_text: Callable[[list[T]], None],
    *,
    empty: str | None = None,
    ensure_ascii: bool = True,
) -> None:
    """Records: a JSON list (`[]` when there are none), or `as_text` prints them; with
    `empty`, that line stands instead of a table with no rows."""
    if output == "json":
        listed = [as_json(value) for value in values]
        typer.echo(json.dumps(listed, indent=2, ensure_ascii=ensure_ascii))
    elif not values and empty is not None:
        typer.echo(empty)
    else:
        as_text(list(values))
