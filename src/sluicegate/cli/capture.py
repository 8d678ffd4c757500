"""`sluicegate capture …`: read one captured request, and purge captures on demand.

The gateway purges captures past `capture.retention_days` by itself; `purge` is for doing it
now (a shorter period, a database no gateway runs on, a request to forget everything).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from sluicegate.cli.database import UrlOption
from sluicegate.cli.store_access import (
    existing_database_url,
    failure,
    load_config_file,
    with_stores,
)
from sluicegate.config.capture import CaptureSettings

if TYPE_CHECKING:
    from sluicegate.core.capture import StoredCapture
    from sluicegate.stores.sql import SqlCaptureStore, SqlStores

T = TypeVar("T")

capture_app = typer.Typer(
    help="Captured prompts and completions (capture is off unless configured).",
    no_args_is_help=True,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Gateway config file: its database_url and capture settings."
    ),
]


def _with_store(url: str, work: Callable[[SqlCaptureStore], Awaitable[T]]) -> T:
    """Run `work(store)` against the captures of the database at `url`."""
    from sluicegate.stores.sql import SqlCaptureStore

    async def on_captures(stores: SqlStores) -> T:
        return await work(SqlCaptureStore(stores.database))

    return with_stores(url, on_captures)


@capture_app.command("show")
def show_command(
    request_id: Annotated[str, typer.Argument(help="The request's x-request-id.")],
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Print one request's capture as JSON: what went upstream and what the client received."""
    url = existing_database_url(database_url, load_config_file(config))

    async def read(store: SqlCaptureStore) -> StoredCapture | None:
        return await store.get(request_id)

    found = _with_store(url, read)
    if found is None:
        failure(f"no capture of request {request_id!r}: it was not captured, or was purged")
    typer.echo(json.dumps(capture_as_dict(found), indent=2, ensure_ascii=False))


@capture_app.command("purge")
def purge_command(
    older_than: Annotated[
        float | None,
        typer.Option(
            "--older-than",
            min=0,
            help="Delete the captures of requests older than this many days (0: all). "
            "Default: the config's capture.retention_days, else 30.",
        ),
    ] = None,
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Delete captures older than the retention period (or --older-than) now."""
    settings = load_config_file(config)
    days = older_than
    if days is None:
        days = (settings.capture if settings is not None else CaptureSettings()).retention_days
    url = existing_database_url(database_url, settings)
    before = datetime.now(UTC) - timedelta(days=days)

    async def purge(store: SqlCaptureStore) -> int:
        return await store.purge(before)

    purged = _with_store(url, purge)
    stamp = before.isoformat(timespec="seconds").replace("+00:00", "Z")
    typer.echo(f"purged {purged} captures of requests before {stamp} (older than {days:g} days)")


def capture_as_dict(stored: StoredCapture) -> dict[str, Any]:
    """A capture for display: the texts as JSON when they are (a truncated request is not)."""
    capture = stored.capture
    return {
        "request_id": stored.request_id,
        "at": stored.at.isoformat().replace("+00:00", "Z"),
        "route": stored.route,
        "subject": stored.subject,
        "request": _json_or_text(capture.request),
        "request_truncated": capture.request_truncated,
        "response": _json_or_text(capture.response),
        "response_truncated": capture.response_truncated,
    }


def _json_or_text(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
