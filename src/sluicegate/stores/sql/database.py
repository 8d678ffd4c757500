"""One engine per database URL, tuned for the two databases the gateway supports.

SQLite (the embedded default) runs in WAL mode with a busy timeout, so readers never block the
writer and a second process waits instead of failing at once; `synchronous=FULL` because the
usage ledger must survive a crash; SQLAlchemy emits BEGIN itself, so
DDL is transactional and write transactions can take the lock up front (`BEGIN IMMEDIATE`).
PostgreSQL gets a bounded, pre-pinged pool so a restarted server is noticed on the next checkout,
and may live in its own schema (`?schema=NAME` in the URL) so that it can share a database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

Dialect = Literal["sqlite", "postgresql"]

SQLITE_DRIVER = "sqlite+aiosqlite"
POSTGRES_DRIVER = "postgresql+asyncpg"
_DRIVERS: dict[str, tuple[str, Dialect]] = {
    "sqlite": (SQLITE_DRIVER, "sqlite"),
    SQLITE_DRIVER: (SQLITE_DRIVER, "sqlite"),
    "postgresql": (POSTGRES_DRIVER, "postgresql"),
    "postgres": (POSTGRES_DRIVER, "postgresql"),
    POSTGRES_DRIVER: (POSTGRES_DRIVER, "postgresql"),
}
_BEGIN_OPTION = "sluicegate_sqlite_begin"
_SCHEMA_PARAMETER = "schema"
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
"""A plain PostgreSQL identifier of at most 63 bytes: nothing that needs escaping anywhere."""


@dataclass(frozen=True, slots=True)
class DatabaseOptions:
    """Pool and connection settings; the defaults suit one gateway process."""

    pool_size: int = 5
    max_overflow: int = 10
    pool_timeout_s: float = 10.0
    """How long a caller waits for a free connection before the store reports unavailable."""
    pool_recycle_s: float = 1800.0
    connect_timeout_s: float = 5.0
    command_timeout_s: float = 30.0
    busy_timeout_ms: int = 5000
    """SQLite: how long to wait for another process's write lock."""
    schema: str | None = None
    """PostgreSQL: the schema to use (its `search_path`); the server's default when None."""

    def __post_init__(self) -> None:
        if self.pool_size < 1 or self.max_overflow < 0:
            raise ValueError("pool_size must be at least 1 and max_overflow not negative")
        if self.schema is not None:
            check_schema_name(self.schema)


def check_schema_name(name: str) -> str:
    """`name` if it is a usable schema name, else a ValueError that says what is allowed."""
    if not _SCHEMA_NAME.fullmatch(name):
        raise ValueError(
            f"schema {name!r} is not a valid schema name: use 1 to 63 ASCII letters, digits "
            "and underscores, not starting with a digit"
        )
    return name


def quoted_schema(name: str) -> str:
    """The schema as a quoted identifier (its case kept), for SQL and for `search_path`."""
    return f'"{check_schema_name(name)}"'


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """A parsed database URL: the engine's URL (driver filled in, `schema` taken out), the
    dialect, and the PostgreSQL schema named by `?schema=`, if any."""

    url: URL
    dialect: Dialect
    schema: str | None


def parse_url(url: str) -> tuple[URL, Dialect]:
    """The URL with its async driver filled in; a clear error for anything unsupported."""
    parsed = parse_database_url(url)
    return parsed.url, parsed.dialect


def parse_database_url(url: str) -> DatabaseUrl:
    """Like `parse_url`, and also takes out and checks the `schema` query parameter."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(
            "database URL is not a valid URL; expected for example "
            "sqlite+aiosqlite:///sluicegate.db or postgresql+asyncpg://user@host:5432/db"
        ) from None
    known = _DRIVERS.get(parsed.drivername)
    if known is None:
        raise ValueError(
            f"database URL scheme '{parsed.drivername}' is not supported; use "
            f"{SQLITE_DRIVER}:///path/to/file.db or {POSTGRES_DRIVER}://user@host:5432/db"
        )
    driver, dialect = known
    schema = _schema_parameter(parsed, dialect, blank=_has_blank_schema(url))
    engine_url = parsed.set(drivername=driver).difference_update_query([_SCHEMA_PARAMETER])
    return DatabaseUrl(engine_url, dialect, schema)


def _schema_parameter(url: URL, dialect: Dialect, *, blank: bool) -> str | None:
    if _SCHEMA_PARAMETER not in url.query and not blank:
        return None
    value = url.query.get(_SCHEMA_PARAMETER, "")
    if dialect == "sqlite":
        raise ValueError(
            "database URL: '?schema=' applies to PostgreSQL only; a SQLite database has no "
            "schemas (use a separate file instead)"
        )
    if not isinstance(value, str):
        raise ValueError("database URL: give '?schema=' once")
    try:
        return check_schema_name(value)
    except ValueError as error:
        raise ValueError(f"database URL: {error}") from None


def _has_blank_schema(url: str) -> bool:
    """`?schema=` with no value, which URL parsing would otherwise drop without a word."""
    values = parse_qs(urlsplit(url).query, keep_blank_values=True).get(_SCHEMA_PARAMETER, [])
    return "" in values


class Database:
    """An async engine for one database, and the way the stores borrow connections from it."""

    def __init__(self, url: str, options: DatabaseOptions | None = None) -> None:
        options = options or DatabaseOptions()
        parsed = parse_database_url(url)
        self.url, self.dialect = parsed.url, parsed.dialect
        if parsed.schema is not None:
            if options.schema not in (None, parsed.schema):
                raise ValueError(
                    f"the database URL names schema {parsed.schema!r} "
                    f"but the options name {options.schema!r}"
                )
            options = replace(options, schema=parsed.schema)
        if self.dialect == "sqlite" and options.schema is not None:
            raise ValueError("DatabaseOptions.schema applies to PostgreSQL only")
        self.options = options
        """The effective options: `schema` comes from the URL when it names one."""
        self.engine = _create_engine(self.url, self.dialect, self.options)
        self.writer: AsyncEngine = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        """The same pool; on SQLite its transactions take the write lock when they begin."""

    @property
    def schema(self) -> str | None:
        """The PostgreSQL schema every table (and Alembic's version table) lives in."""
        return self.options.schema

    def __repr__(self) -> str:
        schema = f", schema={self.schema}" if self.schema is not None else ""
        return f"Database({self.url.render_as_string(hide_password=True)}{schema})"

    async def close(self) -> None:
        await self.engine.dispose()


def _create_engine(url: URL, dialect: Dialect, options: DatabaseOptions) -> AsyncEngine:
    common: dict[str, Any] = {"hide_parameters": True}
    if dialect == "sqlite":
        if url.database in (None, "", ":memory:"):
            engine = create_async_engine(url, **common)
        else:
            engine = create_async_engine(
                url,
                pool_size=options.pool_size,
                max_overflow=options.max_overflow,
                pool_timeout=options.pool_timeout_s,
                **common,
            )
        sync = engine.sync_engine
        event.listen(sync, "connect", partial(_sqlite_connected, options.busy_timeout_ms))
        event.listen(sync, "begin", _sqlite_begin)
        return engine
    server_settings = {"application_name": "sluicegate"}
    if options.schema is not None:
        server_settings["search_path"] = quoted_schema(options.schema)
    return create_async_engine(
        url,
        pool_size=options.pool_size,
        max_overflow=options.max_overflow,
        pool_timeout=options.pool_timeout_s,
        pool_recycle=options.pool_recycle_s,
        pool_pre_ping=True,
        connect_args={
            "timeout": options.connect_timeout_s,
            "command_timeout": options.command_timeout_s,
            "server_settings": server_settings,
        },
        **common,
    )


def _sqlite_connected(busy_timeout_ms: int, dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN (see _sqlite_begin) instead of the driver's legacy handling.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")
