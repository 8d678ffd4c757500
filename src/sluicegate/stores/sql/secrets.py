"""Shared secrets in SQL: `core.shared_secrets.SharedSecrets` on SQLite or PostgreSQL.

The first replica to start stores the value it generated (an INSERT that does nothing when a
row is there already); every replica then reads the row, so all of them sign with one key.
Whoever can read this table can use the secret: give it through the configuration instead to
keep it out of the database.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from sluicegate.core.clock import Clock, SystemClock
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated
from sluicegate.stores.sql.schema import gateway_secrets


class SqlSharedSecrets:
    """Named secrets, created once and never changed here."""

    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self._db = database
        self._clock = clock or SystemClock()

    async def get_or_create(self, name: str, value: str) -> str:
        now = datetime.fromtimestamp(self._clock.wall(), UTC)
        dialect = postgresql if self._db.dialect == "postgresql" else sqlite
        insert = (
            dialect.insert(gateway_secrets)
            .values(name=name, value=value, created_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        query = select(gateway_secrets.c.value).where(gateway_secrets.c.name == name)
        # Never the value in a message: only what was being done.
        async with translated("reading a shared secret"), self._db.writer.begin() as conn:
            await conn.execute(insert)
            stored = (await conn.execute(query)).scalar_one()
        return str(stored)
