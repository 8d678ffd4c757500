"""`sluicegate feedback summary|export`: how users rated replies, read from the database.

The summary is `sluicegate.admin.feedback_report` (shared with `GET /admin/feedback/summary`)
and the export `sluicegate.admin.feedback_export`; this module only reads the command line,
finds the database, prints and writes the file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from sluicegate.cli.database import UrlOption
from sluicegate.cli.export_files import export_to_file
from sluicegate.cli.store_access import (
    existing_database_url,
    load_config_file,
    usage_error,
    with_stores,
)
from sluicegate.cli.usage import ConfigOption
from sluicegate.config.feedback import FeedbackSettings
from sluicegate.config.loader import ConfigError, format_validation_error
from sluicegate.core.errors import InvalidRequest

if TYPE_CHECKING:
    from sluicegate.admin.feedback_report import FeedbackSummary
    from sluicegate.stores.sql import SqlStores

FORMATS = ("table", "csv", "json")
SECRET_ENV = "SLUICEGATE_FEEDBACK_SECRET"

feedback_app = typer.Typer(
    help="Summaries and exports of the feedback users gave on replies.", no_args_is_help=True
)

SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Requests made at or after: a date (2026-11-01, 00:00 UTC), an ISO 8601 time "
        "(UTC when it names no zone), today or yesterday. Default: no bound.",
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option("--until", help="Requests made before (excluded): the same forms, or now."),
]


def with_token_secret(settings: FeedbackSettings, secret: str) -> FeedbackSettings:
    """`settings` signing feedback tokens with `secret` (`SLUICEGATE_FEEDBACK_SECRET`),
    checked like the file's `feedback.token_secret`."""
    try:
        return FeedbackSettings.model_validate({**settings.model_dump(), "token_secret": secret})
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, SECRET_ENV)) from None


def _range(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    from sluicegate.admin.feedback_report import parse_time

    now = datetime.now(UTC)
    try:
        start, end = parse_time("--since", since, now), parse_time("--until", until, now)
    except InvalidRequest as error:
        usage_error(error.message)
    if start is not None and end is not None and start >= end:
        usage_error("--since must be earlier than --until, which is excluded")
    return start, end


@feedback_app.command("summary")
def summary_command(
    by: Annotated[
        str,
        typer.Option(
            help="Group by prompt_version, model, backend, consumer or team; several "
            "separated by commas (model,prompt_version)."
        ),
    ] = "model",
    since: SinceOption = None,
    until: UntilOption = None,
    output: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Ratings, thumbs-up rate with its 95% Wilson interval, mean score, comments and
    corrections per group."""
    from sluicegate.admin.feedback_report import (
        feedback_summary,
        parse_dimensions,
        summary_as_csv,
        summary_as_dict,
        summary_as_table,
    )
    from sluicegate.stores.sql.feedback import SqlFeedbackStore

    if output not in FORMATS:
        usage_error(f"--format {output!r}: use {', '.join(FORMATS)}")
    try:
        dimensions = parse_dimensions(by)
    except InvalidRequest as error:
        usage_error(error.message)
    start, end = _range(since, until)
    url = existing_database_url(database_url, load_config_file(config))

    async def read(stores: SqlStores) -> FeedbackSummary:
        return await feedback_summary(SqlFeedbackStore(stores.database), dimensions, start, end)

    summary = with_stores(url, read)
    if output == "json":
        typer.echo(json.dumps(summary_as_dict(summary), indent=2))
    elif output == "csv":
        typer.echo(summary_as_csv(summary), nl=False)
    else:
        typer.echo(summary_as_table(summary), nl=False)


@feedback_app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="The JSONL file to write.")],
    since: SinceOption = None,
    until: UntilOption = None,
    only: Annotated[
        str | None,
        typer.Option(
            help="Keep only negative or positive ratings (thumbs, else the score against the "
            "middle of the range), or the corrected ones."
        ),
    ] = None,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the rated requests as JSONL, one rating per line: an evaluation dataset."""
    from sluicegate.admin.feedback_export import CapturedRequests, export_feedback, parse_only
    from sluicegate.stores.sql.captures import SqlCaptureStore
    from sluicegate.stores.sql.feedback import SqlFeedbackStore

    try:
        kept = parse_only(only)
    except InvalidRequest as error:
        usage_error(error.message)
    start, end = _range(since, until)
    settings = load_config_file(config)
    scores = settings.feedback if settings is not None else FeedbackSettings()
    midpoint = (scores.score_min + scores.score_max) / 2
    url = existing_database_url(database_url, settings)

    async def write(stores: SqlStores, file: IO[bytes]) -> int:
        store = SqlFeedbackStore(stores.database)
        captures = CapturedRequests(SqlCaptureStore(stores.database))
        return await export_feedback(
            store, file, midpoint=midpoint, since=start, until=end, only=kept, captures=captures
        )

    count = export_to_file(url, out, write)
    typer.echo(f"wrote {count} rated request{'s' if count != 1 else ''} to {out}")
