"""`sluicegate usage report|export`: who used what, for chargeback, and every request, read
from the usage ledger.

The report itself is `sluicegate.admin.usage_report` and the export
`sluicegate.admin.usage_export`, both shared with the admin API; this module only reads the
command line, finds the database, prints and writes the file.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from sluicegate.cli.database import UrlOption
from sluicegate.cli.export_files import export_to_file
from sluicegate.cli.store_access import (
    existing_database_url,
    load_config_file,
    usage_error,
    with_stores,
)
from sluicegate.core.errors import InvalidRequest

if TYPE_CHECKING:
    from sluicegate.admin.usage_report import UsageReport
    from sluicegate.core.ledger import Dimension
    from sluicegate.stores.sql import SqlStores

FORMATS = ("table", "csv", "json")

usage_app = typer.Typer(
    help="Usage reports for chargeback, and per-request exports, from the usage ledger.",
    no_args_is_help=True,
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


def _read(
    url: str, by: Dimension, since: datetime, until: datetime, ptu_tpm: int | None
) -> UsageReport:
    from sluicegate.admin.usage_report import usage_report

    async def read(stores: SqlStores) -> UsageReport:
        return await usage_report(stores.ledger, by, since, until, ptu_tpm=ptu_tpm)

    return with_stores(url, read)


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
        usage_error(f"--format {output!r}: use {', '.join(FORMATS)}")
    try:
        dimension = parse_dimension(by)
        start, end = parse_report_range(since, until, datetime.now(UTC))
    except InvalidRequest as error:
        usage_error(error.message)
    settings = load_config_file(config)
    url = existing_database_url(database_url, settings)
    ptu_tpm = ptu_tpm_of(settings) if settings is not None else None
    report = _read(url, dimension, start, end, ptu_tpm)
    if output == "json":
        typer.echo(json.dumps(report_as_dict(report), indent=2))
    elif output == "csv":
        typer.echo(report_as_csv(report), nl=False)
    else:
        typer.echo(report_as_table(report), nl=False)


@usage_app.command("export")
def export_command(
    since: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Requests made at or after: a date (2026-11-01, 00:00 UTC), an ISO 8601 time "
            "(UTC when it names no zone), today or yesterday. Default: the start of this "
            "month (UTC).",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--to", help="Requests made before (excluded): the same forms, or now."),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Only the requests of this model route.")
    ] = None,
    team: Annotated[str | None, typer.Option("--team", help="Only this team's requests.")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many requests, the oldest.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The JSONL file to write. Default: standard output."),
    ] = None,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Every request as a JSON line (time, model, tokens, backend, status, latencies, team,
    key id, prompt version, cost): replay it with `sluicegate bench --trace` or plan from it
    with `sluicegate plan --usage`."""
    from sluicegate.admin.usage_export import parse_filter, parse_limit
    from sluicegate.admin.usage_report import parse_report_range

    try:
        start, end = parse_report_range(since, until, datetime.now(UTC))
        kept_model = parse_filter("model", model)
        kept_team = parse_filter("team", team)
        most = parse_limit(limit)
    except InvalidRequest as error:
        usage_error(error.message)
    settings = load_config_file(config)
    url = existing_database_url(database_url, settings)
    filters = _ExportFilters(start, end, kept_model, kept_team, most)
    if out is None:
        _export_to_stdout(url, filters)
        return
    count = export_to_file(url, out, filters.write)
    typer.echo(f"wrote {count} usage record{'s' if count != 1 else ''} to {out}")


@dataclass(frozen=True)
class _ExportFilters:
    """What `usage export` keeps: the range and the optional model, team and limit."""

    since: datetime
    until: datetime
    model: str | None
    team: str | None
    limit: int | None

    async def write(self, stores: SqlStores, out: IO[bytes]) -> int:
        from sluicegate.admin.usage_export import export_usage

        return await export_usage(
            stores.ledger,
            out,
            self.since,
            self.until,
            model=self.model,
            team=self.team,
            limit=self.limit,
        )


def _export_to_stdout(url: str, filters: _ExportFilters) -> None:
    stdout = sys.stdout.buffer

    async def write(stores: SqlStores) -> int:
        return await filters.write(stores, stdout)

    try:
        with_stores(url, write)
        stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (`| head`): not an error; keep Python from reporting the
        # failed flush of the closed pipe at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
