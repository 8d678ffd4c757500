"""`sluicegate datasets …`: store evaluation datasets (JSONL) in the gateway's database as
immutable versions, list them, look inside, and pull them back.

The work is done by `admin.datasets.DatasetAdmin`, as for the admin API, so both check and audit
alike. Bad input exits with 2; a refusal (no such dataset or version) or a store failure with 1.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from sluicegate.cli.admin_runs import run_admin
from sluicegate.cli.database import ConfigOption, UrlOption
from sluicegate.cli.exact_files import OutputFileOption, read_exact, write_exact
from sluicegate.cli.keys import ACTOR
from sluicegate.cli.output_format import FormatOption, check_format, print_many, print_one
from sluicegate.cli.store_access import database_to_read, database_to_write

if TYPE_CHECKING:
    from sluicegate.admin.datasets import DatasetAdmin, DatasetShown
    from sluicegate.core.datasets import DatasetInfo
    from sluicegate.stores.sql import SqlStores

T = TypeVar("T")

LIST_HINT = "`sluicegate datasets list` shows the datasets"

datasets_app = typer.Typer(
    help="Evaluation datasets kept by the gateway: push JSONL files as immutable versions, "
    "list, show and pull them; `sluicegate eval run --dataset NAME@vN` reads them.",
    no_args_is_help=True,
)

RefArgument = Annotated[
    str,
    typer.Argument(metavar="NAME[@vN]", help="A dataset (its latest version), or NAME@v3."),
]


def _admin(stores: SqlStores) -> DatasetAdmin:
    from sluicegate.admin.datasets import DatasetAdmin
    from sluicegate.core.clock import SystemClock

    return DatasetAdmin(stores.datasets, stores.audit, SystemClock())


def _run(url: str, work: Callable[[DatasetAdmin], Awaitable[T]]) -> T:
    return run_admin(url, _admin, work, list_hint=LIST_HINT)


def info_json(info: DatasetInfo) -> dict[str, Any]:
    from sluicegate.cli.key_views import iso

    return {
        "name": info.name,
        "version": info.version,
        "ref": info.ref,
        "items": info.items,
        "content_hash": info.content_hash,
        "description": info.description,
        "author": info.author,
        "created_at": iso(info.created_at),
    }


def _rows(infos: Sequence[DatasetInfo], *, by_version: bool) -> None:
    """One row per version (`versions`) or per dataset with its latest version (`list`)."""
    from sluicegate.cli.key_views import show_time
    from sluicegate.cli.prompt_views import print_rows

    named: tuple[str, ...] = ("VERSION",) if by_version else ("NAME", "LATEST")
    rows = [
        (
            *((f"v{i.version}",) if by_version else (i.name, f"v{i.version}")),
            str(i.items),
            show_time(i.created_at),
            i.author,
            i.content_hash[:12],
            i.description,
        )
        for i in infos
    ]
    print_rows((*named, "ITEMS", "CREATED (UTC)", "AUTHOR", "SHA256", "DESCRIPTION"), rows)


# --- commands ------------------------------------------------------------------------------------


@datasets_app.command("push")
def push_command(
    file: Annotated[Path, typer.Argument(metavar="FILE.jsonl", help="The JSONL dataset.")],
    name: Annotated[str, typer.Option(help="The dataset's name.")],
    description: Annotated[str, typer.Option(help="What the dataset holds, and why.")] = "",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Check every line as `eval run` reads it and store the file as the next version (nothing,
    if it is identical to the latest version)."""
    content = read_exact(file, "JSONL")
    url = database_to_write(database_url, config)

    async def work(admin: DatasetAdmin) -> tuple[bool, str, int, int]:
        pushed = await admin.push(content, ACTOR, name=name, description=description)
        return pushed.created, pushed.info.ref, pushed.info.items, pushed.skipped

    created, ref, items, skipped = _run(url, work)
    if created:
        typer.echo(f"Pushed {ref} ({items} items).")
    else:
        typer.echo(f"Unchanged: {file} is identical to {ref}; nothing was pushed.")
    if skipped:
        typer.echo(
            f"note: {skipped} feedback line(s) have no captured request; a run skips them",
            err=True,
        )


@datasets_app.command("list")
def list_command(
    output: FormatOption = "table", database_url: UrlOption = None, config: ConfigOption = None
) -> None:
    """List the datasets by name, with their latest version."""
    check_format(output)
    url = database_to_read(database_url, config)
    infos = _run(url, lambda admin: admin.list())
    empty = "no datasets; push one with `sluicegate datasets push FILE.jsonl --name N`"
    print_many(
        output, infos, info_json, lambda listed: _rows(listed, by_version=False), empty=empty
    )


@datasets_app.command("versions")
def versions_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The dataset's name.")],
    output: FormatOption = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """List every version of a dataset, oldest first."""
    check_format(output)
    url = database_to_read(database_url, config)
    infos = _run(url, lambda admin: admin.versions(name))
    print_many(output, infos, info_json, lambda listed: _rows(listed, by_version=True))


@datasets_app.command("show")
def show_command(
    ref: RefArgument,
    limit: Annotated[int, typer.Option(help="How many items to show (0 to 100).")] = 5,
    output: FormatOption = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Show a version: who pushed it and why, its item count and hash, and its first items."""
    check_format(output)
    url = database_to_read(database_url, config)
    shown = _run(url, lambda admin: admin.show(ref, limit))
    print_one(output, shown, _shown_json, _print_shown, ensure_ascii=False)


def _shown_json(shown: DatasetShown) -> dict[str, Any]:
    return {
        **info_json(shown.info),
        "latest": shown.latest,
        "preview": [{"line": p.line, "value": p.value} for p in shown.preview],
    }


def _print_shown(shown: DatasetShown) -> None:
    """A card, then the first items as JSON lines."""
    from sluicegate.cli.key_views import show_time

    info = shown.info
    lines = [
        f"dataset {info.ref}",
        f"  latest:      v{shown.latest}",
        f"  items:       {info.items}",
        f"  author:      {info.author}",
        f"  created:     {show_time(info.created_at)}",
        f"  sha256:      {info.content_hash}",
        f"  description: {info.description or '-'}",
        "",
    ]
    typer.echo("\n".join(lines))
    for line in shown.preview:
        typer.echo(json.dumps(line.value, ensure_ascii=False))
    if len(shown.preview) < info.items:
        typer.echo(f"… {info.items - len(shown.preview)} more item(s)")


@datasets_app.command("pull")
def pull_command(
    ref: RefArgument,
    output: OutputFileOption = None,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Print a version's JSONL exactly as it was pushed (or write it to a file)."""
    url = database_to_read(database_url, config)

    async def work(admin: DatasetAdmin) -> tuple[str, str]:
        version = await admin.resolve(ref)
        return version.info.ref, version.content

    found, content = _run(url, work)
    write_exact(content, output, found)
