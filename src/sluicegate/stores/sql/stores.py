"""All SQL stores on one database, built together: what the composition root wires in.

Building does no I/O (engines connect lazily), so a synchronous composition root can hand the
stores to policies at once and run `prepare()` in its start-up hook.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sluicegate.stores.sql.audit import SqlAuditLog
from sluicegate.stores.sql.blocklists import SqlBlocklistStore
from sluicegate.stores.sql.database import Database, DatabaseOptions
from sluicegate.stores.sql.datasets import SqlDatasetStore
from sluicegate.stores.sql.errors import StoreError
from sluicegate.stores.sql.eval_runs import SqlEvalRunStore
from sluicegate.stores.sql.keys import SqlKeyStore
from sluicegate.stores.sql.ledger import SqlLedgerStore
from sluicegate.stores.sql.migrate import current_revision, head_revision, upgrade
from sluicegate.stores.sql.prompts import SqlPromptStore
from sluicegate.stores.sql.teams import SqlTeamStore


@dataclass(frozen=True, slots=True)
class SqlStores:
    database: Database
    keys: SqlKeyStore
    ledger: SqlLedgerStore
    audit: SqlAuditLog
    teams: SqlTeamStore
    blocklists: SqlBlocklistStore
    prompts: SqlPromptStore
    datasets: SqlDatasetStore
    eval_runs: SqlEvalRunStore

    @classmethod
    def create(cls, url: str, options: DatabaseOptions | None = None) -> SqlStores:
        """The stores on the database at `url`; nothing is connected yet."""
        database = Database(url, options)
        return cls(
            database,
            SqlKeyStore(database),
            SqlLedgerStore(database),
            SqlAuditLog(database),
            SqlTeamStore(database),
            SqlBlocklistStore(database),
            SqlPromptStore(database),
            SqlDatasetStore(database),
            SqlEvalRunStore(database),
        )

    async def prepare(self, *, auto_upgrade: bool | None = None) -> None:
        """Upgrade the schema, or check that it is current.

        `auto_upgrade` defaults to True for SQLite (the embedded default upgrades itself on
        start) and False for PostgreSQL, where a shared schema is upgraded on purpose with
        `sluicegate db upgrade` and a gateway that finds it out of date refuses to start.
        """
        database = self.database
        if auto_upgrade if auto_upgrade is not None else database.dialect == "sqlite":
            _make_sqlite_directory(database)
            await upgrade(database)
            return
        found, expected = await current_revision(database), head_revision()
        if found != expected:
            raise StoreError(
                f"the database schema is at revision {found or 'none (empty database)'}, "
                f"this gateway needs {expected}: run `sluicegate db upgrade`"
            )

    async def close(self) -> None:
        await self.database.close()


async def open_sql_stores(
    url: str, *, auto_upgrade: bool | None = None, options: DatabaseOptions | None = None
) -> SqlStores:
    """`SqlStores.create` then `prepare`, closing the engine again if preparing fails."""
    stores = SqlStores.create(url, options)
    try:
        await stores.prepare(auto_upgrade=auto_upgrade)
    except BaseException:
        await stores.close()
        raise
    return stores


def _make_sqlite_directory(database: Database) -> None:
    """The embedded default may point into a directory that does not exist yet."""
    name = database.url.database
    if database.dialect == "sqlite" and name and name != ":memory:":
        Path(name).expanduser().parent.mkdir(parents=True, exist_ok=True)
