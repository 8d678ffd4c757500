"""What a key or team has already spent, from the usage ledger: where budget counters start.

Read once per counter and period (a new period, a restarted gateway, a Redis that lost its
data), on the `(subject, at)` and `(team, at)` indexes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from sluicegate.core.budget import BudgetScope
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated
from sluicegate.stores.sql.schema import usage_records
from sluicegate.stores.sql.types import require_aware


class SqlSpendSource:
    """A `core.budget.SpendSource` on the SQL ledger."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def spent_since(self, scope: BudgetScope, subject: str, since: datetime) -> float:
        require_aware("since", since)
        t = usage_records.c
        column = t.subject if scope is BudgetScope.KEY else t.team
        query = select(func.coalesce(func.sum(t.cost), 0.0)).where(column == subject, t.at >= since)
        async with translated("summing spend"), self._db.engine.connect() as conn:
            return float((await conn.execute(query)).scalar_one())
