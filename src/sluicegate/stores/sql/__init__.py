"""SQL stores (SQLite by default, PostgreSQL at scale): keys, teams, blocklists, usage ledger,
audit log.

One schema, created and evolved by the Alembic migrations shipped in `migrations/`.
"""

from sluicegate.stores.sql.audit import SqlAuditLog
from sluicegate.stores.sql.blocklists import SqlBlocklistStore
from sluicegate.stores.sql.captures import SqlCaptureStore
from sluicegate.stores.sql.database import Database, DatabaseOptions
from sluicegate.stores.sql.errors import DuplicateKey, StoreError, StoreUnavailable
from sluicegate.stores.sql.keys import SqlKeyStore
from sluicegate.stores.sql.ledger import SqlLedgerStore
from sluicegate.stores.sql.migrate import (
    current_revision,
    downgrade,
    head_revision,
    is_current,
    upgrade,
)
from sluicegate.stores.sql.prompts import SqlPromptStore
from sluicegate.stores.sql.stores import SqlStores, open_sql_stores
from sluicegate.stores.sql.teams import SqlTeamStore

__all__ = [
    "Database",
    "DatabaseOptions",
    "DuplicateKey",
    "SqlAuditLog",
    "SqlBlocklistStore",
    "SqlCaptureStore",
    "SqlKeyStore",
    "SqlLedgerStore",
    "SqlPromptStore",
    "SqlStores",
    "SqlTeamStore",
    "StoreError",
    "StoreUnavailable",
    "current_revision",
    "downgrade",
    "head_revision",
    "is_current",
    "open_sql_stores",
    "upgrade",
]
