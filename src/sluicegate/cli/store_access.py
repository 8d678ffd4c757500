"""Running a CLI command against the gateway's database: reading `--config`, finding the
database, opening its stores, and the exit codes every command shares (bad input 2; a refusal,
a missing database or a store failure 1)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer

from sluicegate.cli.database import database_url
from sluicegate.config.loader import ConfigError, load_config

if TYPE_CHECKING:
    from sluicegate.config.settings import GatewayConfig
    from sluicegate.stores.sql import SqlStores

T = TypeVar("T")


def usage_error(message: str) -> NoReturn:
    """Bad input: the message on stderr, exit 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def failure(message: str) -> NoReturn:
    """A refusal or a failure: the message on stderr, exit 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def load_config_file(config: Path | None) -> GatewayConfig | None:
    """The `--config` file, if one is named; a broken one is a usage error."""
    if config is None:
        return None
    try:
        return load_config(config)
    except ConfigError as error:
        usage_error(str(error))


def existing_database_url(explicit: str | None, config: GatewayConfig | None) -> str:
    """The flag, else `SLUICEGATE_DATABASE_URL`, else the config, else the default; a SQLite
    file must exist, for commands that read what a gateway wrote (a database created on the
    spot would only be empty)."""
    from sluicegate.stores.sql.database import parse_url

    url = database_url(explicit, config)
    try:
        parsed, dialect = parse_url(url)
    except ValueError as error:
        usage_error(str(error))
    path = parsed.database
    if dialect == "sqlite" and path and path != ":memory:" and not Path(path).exists():
        failure(
            f"there is no database at {path}: give the gateway's with --database-url, "
            "SLUICEGATE_DATABASE_URL or --config"
        )
    return url


def writable_database_url(explicit: str | None, config: GatewayConfig | None) -> str:
    """The flag, else `SLUICEGATE_DATABASE_URL`, else the config, else the default, checked;
    a SQLite file is created on first use, as the gateway does, for commands that write."""
    from sluicegate.stores.sql.database import parse_url

    url = database_url(explicit, config)
    try:
        parse_url(url)
    except ValueError as error:
        usage_error(str(error))
    return url


def database_to_read(explicit: str | None, config_file: Path | None) -> str:
    """`existing_database_url`, with the `--config` file read."""
    return existing_database_url(explicit, load_config_file(config_file))


def database_to_write(explicit: str | None, config_file: Path | None) -> str:
    """`writable_database_url`, with the `--config` file read."""
    return writable_database_url(explicit, load_config_file(config_file))


def with_stores(url: str, work: Callable[[SqlStores], Awaitable[T]]) -> T:
    """Open the stores (SQLite is upgraded, PostgreSQL must be current), run `work`, close;
    a store failure is exit 1."""
    from sluicegate.stores.sql import StoreError, open_sql_stores

    async def main() -> T:
        stores = await open_sql_stores(url)
        try:
            return await work(stores)
        finally:
            await stores.close()

    try:
        return asyncio.run(main())
    except StoreError as error:
        failure(str(error))
