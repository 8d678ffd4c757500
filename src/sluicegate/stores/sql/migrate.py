"""Schema migrations, run programmatically: `sluicegate db upgrade`, or on start for SQLite.

The Alembic scripts ship inside the package (`migrations/`), so an installed gateway can upgrade
its database without a source checkout or an `alembic.ini`. On PostgreSQL an advisory lock
serialises replicas that start together; on SQLite `BEGIN IMMEDIATE` does the same. With a
schema in the URL (`?schema=NAME`), upgrading creates that schema when it is missing, and the
tables and Alembic's version table live in it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection

from sluicegate.stores.sql.database import Database, quoted_schema
from sluicegate.stores.sql.errors import StoreError, translated

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK_ID = 0x5_1CE_6A7E
"""PostgreSQL advisory lock key held while migrating."""
SQLITE_LOCK_ATTEMPTS = 6
"""SQLite has no advisory lock: a replica that finds another one migrating waits the busy
timeout (`DatabaseOptions.busy_timeout_ms`) this many times before giving up."""
SCHEMA_ATTRIBUTE = "sluicegate_schema"
"""Where `migrations/env.py` finds the schema for Alembic's version table."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The revision this version of the gateway expects."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


async def upgrade(target: Database | str, revision: str = "head") -> None:
    """Bring the schema up to `revision` (the latest by default); a no-op when it is there."""
    await _run(target, revision, upgrading=True)


async def downgrade(target: Database | str, revision: str) -> None:
    """Take the schema back to `revision` (`base` drops every table)."""
    await _run(target, revision, upgrading=False)


async def current_revision(target: Database | str) -> str | None:
    """The revision the database is at; None for an empty database."""
    database, owned = _database(target)
    try:
        async with translated("reading the schema version"), database.engine.connect() as conn:
            return await conn.run_sync(_current, database.schema)
    finally:
        if owned:
            await database.close()


async def is_current(target: Database | str) -> bool:
    return await current_revision(target) == head_revision()


async def _run(target: Database | str, revision: str, *, upgrading: bool) -> None:
    database, owned = _database(target)
    doing = "upgrading the schema" if upgrading else "downgrading the schema"
    try:
        for attempt in range(1, SQLITE_LOCK_ATTEMPTS + 1):
            try:
                async with translated(doing), database.writer.begin() as conn:
                    if database.dialect == "postgresql":
                        await conn.execute(
                            text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID}
                        )
                        if upgrading and database.schema is not None:
                            await _create_schema(conn, database.schema)
                    await conn.run_sync(_migrate, revision, upgrading, database.schema)
                return
            except StoreError as error:
                if attempt == SQLITE_LOCK_ATTEMPTS or not _sqlite_locked(database, error):
                    raise
    finally:
        if owned:
            await database.close()


def _sqlite_locked(database: Database, error: StoreError) -> bool:
    """Another process held SQLite's write lock for longer than the busy timeout: on SQLite
    that is another replica migrating the same file, and waiting again is the answer."""
    cause = error.__cause__
    return database.dialect == "sqlite" and "database is locked" in str(cause)


async def _create_schema(conn: AsyncConnection, schema: str) -> None:
    """Create the schema unless it exists. Checking first lets a role that may not create
    schemas in the database still upgrade one an administrator made for it."""
    found = await conn.execute(
        text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": schema}
    )
    if found.first() is None:
        await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted_schema(schema)}"))


def _migrate(connection: Connection, revision: str, upgrading: bool, schema: str | None) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    config.attributes[SCHEMA_ATTRIBUTE] = schema
    if upgrading:
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


def _current(connection: Connection, schema: str | None) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table_schema": schema})
    return context.get_current_revision()


def _database(target: Database | str) -> tuple[Database, bool]:
    if isinstance(target, Database):
        return target, False
    return Database(target), True
