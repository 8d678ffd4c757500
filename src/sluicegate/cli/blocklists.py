"""`sluicegate blocklists …`: create, change, list, show and delete managed blocklists.

A managed list sits beside the lists in the config (`safety.blocklists`); safety profiles name
either kind. The work is done by `admin.blocklists.BlocklistAdmin`, as for the admin API, so both
validate (with the gateway's own matcher) and audit alike. Running gateways take a change in on
their next periodic reload. Bad input exits with 2, a refusal (no such list, a name taken) with 1.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from typer.models import OptionInfo

from sluicegate.admin.blocklist_specs import BlocklistChanges, BlocklistSpec
from sluicegate.admin.changes import KEEP, Keep
from sluicegate.cli.admin_runs import run_admin
from sluicegate.cli.arguments import checked
from sluicegate.cli.blocklist_views import (
    describe,
    print_record,
    print_table,
    sizes,
    summarise,
)
from sluicegate.cli.database import ConfigOption, UrlOption
from sluicegate.cli.keys import ACTOR
from sluicegate.cli.output_format import FormatOption, check_format, print_many, print_one
from sluicegate.cli.store_access import database_to_write, usage_error
from sluicegate.core.blocklists import BlocklistRecord

if TYPE_CHECKING:
    from sluicegate.admin.blocklists import BlocklistAdmin
    from sluicegate.stores.sql import SqlStores

T = TypeVar("T")

LIST_HINT = "`sluicegate blocklists list` shows the managed lists"
STDIN = "-"

blocklists_app = typer.Typer(
    help="Create, change, list, show and delete managed blocklists (terms and regular "
    "expressions the safety policy matches on requests and replies).",
    no_args_is_help=True,
)

NameArgument = Annotated[
    str,
    typer.Argument(
        metavar="NAME", help="The list's name: 1 to 128 letters, digits, '_', '.', ':' or '-'."
    ),
]


def _entries(option: str, metavar: str, help_text: str) -> OptionInfo:
    info: OptionInfo = typer.Option(option, metavar=metavar, help=f"{help_text} (repeatable).")
    return info


TermsOption = Annotated[
    list[str] | None,
    _entries("--term", "TERM", "A word or phrase, matched case-insensitively on word boundaries"),
]
PatternsOption = Annotated[
    list[str] | None,
    _entries(
        "--pattern", "REGEX", "A regular expression (Python syntax; it runs on lower-cased text)"
    ),
]
DescriptionOption = Annotated[
    str | None,
    typer.Option(metavar="TEXT", help="What the list is for; one line, at most 500 characters."),
]


# --- reading the command line --------------------------------------------------------------------


def _read_terms(option: str, path: str) -> list[str]:
    """One term per line; blank lines are skipped. `-` reads standard input."""
    try:
        text = sys.stdin.read() if path == STDIN else Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        usage_error(f"{option} {path!r}: the file is not UTF-8 text")
    except OSError as error:
        usage_error(f"{option} {path!r}: cannot read it ({error.strerror or error})")
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- running against the database ----------------------------------------------------------------


def _admin(stores: SqlStores) -> BlocklistAdmin:
    from sluicegate.admin.blocklists import BlocklistAdmin
    from sluicegate.core.clock import SystemClock

    return BlocklistAdmin(stores.blocklists, stores.audit, SystemClock())


def _run(url: str, work: Callable[[BlocklistAdmin], Awaitable[T]], *, hint: str = "") -> T:
    """Run `work` with a BlocklistAdmin on the database; a refusal is exit 1, bad input exit 2."""
    return run_admin(url, _admin, work, list_hint=LIST_HINT, hint=hint)


def _nothing_to_change() -> NoReturn:
    usage_error(
        "nothing to change: give at least one of --add-term, --add-terms-file, --remove-term, "
        "--add-pattern, --remove-pattern or --description"
    )


# --- commands ------------------------------------------------------------------------------------


@blocklists_app.command("create")
def create_command(
    name: NameArgument,
    term: TermsOption = None,
    pattern: PatternsOption = None,
    terms_file: Annotated[
        str | None,
        typer.Option(
            "--terms-file",
            metavar="FILE",
            help="Terms, one per line (blank lines are skipped); - reads standard input.",
        ),
    ] = None,
    description: DescriptionOption = None,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Create a managed blocklist; it may start empty and be filled with `update`."""
    terms = [*(term or ()), *(_read_terms("--terms-file", terms_file) if terms_file else ())]
    spec = checked(
        lambda: BlocklistSpec(
            name=name,
            terms=tuple(terms),
            patterns=tuple(pattern or ()),
            description=description or "",
        )
    )
    url = database_to_write(database_url, config)

    async def work(admin: BlocklistAdmin) -> BlocklistRecord:
        return await admin.create(spec, ACTOR)

    hint = f"; change it with `sluicegate blocklists update {spec.name}`"
    record = _run(url, work, hint=hint)
    typer.echo(f"Created blocklist {record.name}: {sizes(record)}.")


@blocklists_app.command("update")
def update_command(
    name: NameArgument,
    add_term: Annotated[list[str] | None, _entries("--add-term", "TERM", "A term to add")] = None,
    add_terms_file: Annotated[
        str | None,
        typer.Option(
            "--add-terms-file",
            metavar="FILE",
            help="Terms to add, one per line; - reads standard input.",
        ),
    ] = None,
    remove_term: Annotated[
        list[str] | None,
        _entries("--remove-term", "TERM", "A term to remove (in any letter case)"),
    ] = None,
    add_pattern: Annotated[
        list[str] | None, _entries("--add-pattern", "REGEX", "A pattern to add")
    ] = None,
    remove_pattern: Annotated[
        list[str] | None,
        _entries("--remove-pattern", "REGEX", "A pattern to remove, exactly as listed"),
    ] = None,
    description: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help='A new description; "" clears it.'),
    ] = None,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Add or remove terms and patterns, or change the description; the rest stays."""
    from_file = _read_terms("--add-terms-file", add_terms_file) if add_terms_file else []
    new_description: str | Keep = KEEP if description is None else description
    changes = checked(
        lambda: BlocklistChanges(
            add_terms=(*(add_term or ()), *from_file),
            remove_terms=tuple(remove_term or ()),
            add_patterns=tuple(add_pattern or ()),
            remove_patterns=tuple(remove_pattern or ()),
            description=new_description,
        )
    )
    if not changes.given() and add_terms_file is None:
        _nothing_to_change()
    url = database_to_write(database_url, config)

    async def work(admin: BlocklistAdmin) -> tuple[BlocklistRecord, BlocklistRecord]:
        before = await admin.get(name)
        return before, await admin.update(name, changes, ACTOR)

    before, after = _run(url, work)
    if after == before:
        typer.echo(f"Nothing changed: blocklist {after.name} already holds that ({sizes(after)}).")
    else:
        typer.echo(f"Updated blocklist {after.name}: {sizes(after)}.")


@blocklists_app.command("list")
def list_command(
    output: FormatOption = "table", database_url: UrlOption = None, config: ConfigOption = None
) -> None:
    """List the managed blocklists by name, with their sizes (lists only in the config are not
    listed)."""
    check_format(output)
    url = database_to_write(database_url, config)

    async def work(admin: BlocklistAdmin) -> list[BlocklistRecord]:
        return await admin.list()

    records = _run(url, work)
    print_many(
        output, records, summarise, print_table, empty="no managed blocklists", ensure_ascii=False
    )


@blocklists_app.command("show")
def show_command(
    name: NameArgument,
    output: FormatOption = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Show one managed blocklist with its terms and patterns."""
    check_format(output)
    url = database_to_write(database_url, config)

    async def work(admin: BlocklistAdmin) -> BlocklistRecord:
        return await admin.get(name)

    print_one(output, _run(url, work), describe, print_record, ensure_ascii=False)


@blocklists_app.command("delete")
def delete_command(
    name: NameArgument, database_url: UrlOption = None, config: ConfigOption = None
) -> None:
    """Delete a managed blocklist; profiles that name it then match nothing for it."""
    url = database_to_write(database_url, config)

    async def work(admin: BlocklistAdmin) -> None:
        await admin.delete(name, ACTOR)

    _run(url, work)
    typer.echo(f"Deleted blocklist {name}.")
