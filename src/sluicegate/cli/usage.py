"""`sluicegate usage report`: who used what, for chargeback, read from the usage ledger.

The report itself is `sluicegate.admin.usage_report`, shared with the admin API; this module
only reads the command line, finds the database and prints.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from sluicegate.cli.database import UrlOption, database_url
from sluicegate.config.loader import ConfigError, load_config
from sluicegate.core.errors import InvalidRequest

if TYPE_CHECKING:
    from sluicegate.admin.usage_report import UsageReport
    from sluicegate.config.settings import GatewayConfig
    from sluicegate.core.ledger import Dimension

FORMATS = ("table", "csv", "json")

usage_app = typer.Typer(
    help="Usage reports for chargeback, from the usage ledger.", no_args_is_help=True
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Gateway config file: its database_url, and the tpm of its PTU backends, "
        "which gives each group's share of the PTU capacity.",
    ),
]


def _usage_error(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _failure(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _load(config: Path | None) -> GatewayConfig | None:
    if config is None:
        return None
    try:
        return load_config(config)
    except ConfigError as error:
        _usage_error(str(error))


def _resolve_url(explicit: str | None, config: GatewayConfig | None) -> str:
    """The flag, else `SLUICEGATE_DATABASE_URL`, else the config, else the default; a SQLite
    file must exist (a report on a database created on the spot would only be empty)."""
    from sluicegate.stores.sql.database import parse_url

    url = database_url(explicit, config)
    try:
        parsed, dialect = parse_url(url)
    except ValueError as error:
        _usage_error(str(error))
    path = parsed.database
    if dialect == "sqlite" and path and path != ":memory:" and not Path(path).exists():
        _failure(
            f"there is no database at {path}: give the gateway's with --database-url, "
            "SLUICEGATE_DATABASE_URL or --config"
        )
    return url


def _read(
    url: str, by: Dimension, since: datetime, until: datetime, ptu_tpm: int | None
) -> UsageReport:
    from sluicegate.admin.usage_report import usage_report
    from sluicegate.stores.sql import StoreError, open_sql_stores

    async def main() -> UsageReport:
        stores = await open_sql_stores(url)
        try:
            return await usage_report(stores.ledger, by, since, until, ptu_tpm=ptu_tpm)
        finally:
            await stores.close()

    try:
        return asyncio.run(main())
    except StoreError as error:
        _failure(str(error))


@usage_app.command("report")
def report_command(
    by: Annotated[str, typer.Option(help="Group by team, key, model or backend.")] = "team",
    since: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Start, included: a date (2026-11-01, 00:00 UTC), an ISO 8601 time (UTC when "
            "it names no zone), today or yesterday. Default: the start of this month (UTC).",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="End, excluded: the same forms, or now (the default). "
            "--from yesterday --to today is all of yesterday.",
        ),
    ] = None,
    output: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Requests, tokens, cost and PTU share per team, key, model or backend over a time range."""
    from sluicegate.admin.usage_report import (
        parse_dimension,
        parse_report_range,
        ptu_tpm_of,
        report_as_csv,
        report_as_dict,
        report_as_table,
    )

    if output not in FORMATS:
        _usage_error(f"--format {output!r}: use {', '.join(FORMATS)}")
    try:
        dimension = parse_dimension(by)
        start, end = parse_report_range(since, until, datetime.now(UTC))
    except InvalidRequest as error:
        _usage_error(error.message)
    settings = _load(config)
    url = _resolve_url(database_url, settings)
    ptu_tpm = ptu_tpm_of(settings) if settings is not None else None
    report = _read(url, dimension, start, end, ptu_tpm)
    if output == "json":
        typer.echo(json.dumps(report_as_dict(report), indent=2))
    elif output == "csv":
        typer.echo(report_as_csv(report), nl=False)
    else:
        typer.echo(report_as_table(report), nl=False)
