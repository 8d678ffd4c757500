"""`sluicegate db …`: create and evolve the SQL schema (keys, usage ledger, audit log)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer

from sluicegate.config.loader import ConfigError, load_config
from sluicegate.config.settings import GatewayConfig

DATABASE_URL_ENV = "SLUICEGATE_DATABASE_URL"

db_app = typer.Typer(
    help="Create and evolve the database schema (SQLite by default, PostgreSQL at scale).",
    no_args_is_help=True,
)

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help=f"SQLAlchemy URL; default ${DATABASE_URL_ENV}, else the config's database_url.",
    ),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Gateway config file to read database_url.")
]


def database_url(explicit: str | None, config: GatewayConfig | None) -> str:
    """The database to use: the flag, else the environment, else the config, else the default."""
    if explicit:
        return explicit
    from_env = os.environ.get(DATABASE_URL_ENV)
    if from_env:
        return from_env
    if config is not None:
        return config.database_url
    return str(GatewayConfig.model_fields["database_url"].default)


def _resolve(url: str | None, config: Path | None) -> str:
    from sluicegate.stores.sql.database import parse_url

    try:
        resolved = database_url(url, load_config(config) if config is not None else None)
        parse_url(resolved)  # a bad scheme or schema is a usage error, not a traceback
    except (ConfigError, ValueError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    return resolved


@db_app.command("upgrade")
def upgrade_command(database_url: UrlOption = None, config: ConfigOption = None) -> None:
    """Apply every migration up to the newest (safe to run again, and from several replicas)."""
    from sluicegate.stores.sql import StoreError, current_revision, upgrade

    url = _resolve(database_url, config)
    try:
        asyncio.run(upgrade(url))
        revision = asyncio.run(current_revision(url))
    except StoreError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"database schema is at revision {revision}")


@db_app.command("current")
def current_command(database_url: UrlOption = None, config: ConfigOption = None) -> None:
    """Print the schema revision the database is at, and whether it is the newest."""
    from sluicegate.stores.sql import StoreError, current_revision, head_revision

    url = _resolve(database_url, config)
    try:
        revision = asyncio.run(current_revision(url))
    except StoreError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    head = head_revision()
    state = "up to date" if revision == head else f"behind {head}: run `sluicegate db upgrade`"
    typer.echo(f"revision {revision or '(empty database)'}; {state}")
