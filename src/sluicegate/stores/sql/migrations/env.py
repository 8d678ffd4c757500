"""Alembic environment: migrations run on a connection handed over by `stores.sql.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from sluicegate.stores.sql.migrate import SCHEMA_ATTRIBUTE
from sluicegate.stores.sql.schema import metadata


def run_migrations(connection: Connection, schema: str | None) -> None:
    # The tables follow the connection's search_path (set to `schema`); the version table is
    # placed there explicitly as well, so `current_revision` reads the same one.
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        version_table_schema=schema,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "sluicegate migrations run through `sluicegate db upgrade` "
            "(sluicegate.stores.sql.migrate.upgrade), not the alembic command line"
        )
    schema = context.config.attributes.get(SCHEMA_ATTRIBUTE)
    run_migrations(connection, schema if isinstance(schema, str) else None)


main()
