"""`sluicegate capture …`: read one captured request, and purge captures on demand.

The gateway purges captures past `capture.retention_days` by itself; `purge` is for doing it
now (a shorter period, a database no gateway runs on, a request to forget everything).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from sluicegate.cli.database import UrlOption, database_url
from sluicegate.config.capture import CaptureSettings
from sluicegate.config.loader import ConfigError, load_config

if TYPE_CHECKING:
    from sluicegate.config.settings import GatewayConfig
    from sluicegate.core.capture import StoredCapture
    from sluicegate.stores.sql import SqlCaptureStore

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
    file must exist (one created on the spot would hold no captures)."""
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


def _with_store(url: str, work: Callable[[SqlCaptureStore], Awaitable[T]]) -> T:
    """Run `work(store)` against the captures of the database at `url`."""
    from sluicegate.stores.sql import SqlCaptureStore, StoreError, open_sql_stores

    async def main() -> T:
        stores = await open_sql_stores(url)
        try:
            return await work(SqlCaptureStore(stores.database))
        finally:
            await stores.close()

    try:
        return asyncio.run(main())
    except StoreError as error:
        _failure(str(error))


@capture_app.command("show")
def show_command(
    request_id: Annotated[str, typer.Argument(help="The request's x-request-id.")],
    database_url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Print one request's capture as JSON: what went upstream and what the client received."""
    url = _resolve_url(database_url, _load(config))

    async def read(store: SqlCaptureStore) -> StoredCapture | None:
        return await store.get(request_id)

    found = _with_store(url, read)
    if found is None:
        _failure(f"no capture of request {request_id!r}: it was not captured, or was purged")
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
    settings = _load(config)
    days = older_than
    if days is None:
        days = (settings.capture if settings is not None else CaptureSettings()).retention_days
    url = _resolve_url(database_url, settings)
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
