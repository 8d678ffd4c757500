"""Alembic environment: migrations run on a connection handed over by `stores.sql.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from sluicegate.stores.sql.schema import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
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
    run_migrations(connection)


main()
