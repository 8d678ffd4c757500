"""SqlAuditLog: append-only, in append order, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sluicegate.core.ledger import AuditEntry, AuditLog
from sluicegate.stores.sql import Database, SqlAuditLog

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def entry(minute: int, action: str = "key.create", **details: object) -> AuditEntry:
    return AuditEntry(
        at=T0 + timedelta(minutes=minute),
        actor="admin-key",
        action=action,
        target=f"key-{minute}",
        details=details,
    )


@pytest.fixture
def audit(sql_db: Database) -> SqlAuditLog:
    return SqlAuditLog(sql_db)


def test_implements_the_audit_protocol(audit: SqlAuditLog) -> None:
    log: AuditLog = audit
    assert log is audit


async def test_entries_come_back_in_append_order_with_growing_ids(audit: SqlAuditLog) -> None:
    # Appended out of time order on purpose: the log keeps the order things were written.
    ids = [
        await audit.append(entry(5, "key.create", team="search")),
        await audit.append(entry(1, "key.revoke")),
        await audit.append(entry(9, "team.update", tpm=1000, models=["gpt-4o"])),
    ]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    listed = await audit.list()
    assert [item.id for item in listed] == ids
    assert [item.action for item in listed] == ["key.create", "key.revoke", "team.update"]
    assert listed[2].details == {"tpm": 1000, "models": ["gpt-4o"]}
    assert listed[0].at == T0 + timedelta(minutes=5)
    assert listed[0].actor == "admin-key"
    assert listed[0].target == "key-5"


async def test_since_and_limit(audit: SqlAuditLog) -> None:
    for minute in range(6):
        await audit.append(entry(minute))
    since = await audit.list(since=T0 + timedelta(minutes=2))
    assert [item.target for item in since] == ["key-2", "key-3", "key-4", "key-5"]
    first_two = await audit.list(since=T0 + timedelta(minutes=2), limit=2)
    assert [item.target for item in first_two] == ["key-2", "key-3"]


async def test_bad_arguments_are_refused(audit: SqlAuditLog) -> None:
    with pytest.raises(ValueError, match="JSON-serialisable"):
        await audit.append(entry(0, when=datetime.now(UTC)))
    with pytest.raises(ValueError, match="limit"):
        await audit.list(limit=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        await audit.list(since=datetime(2025, 1, 1))
    assert await audit.list() == []


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"]
)
async def test_the_database_refuses_to_change_entries(
    audit: SqlAuditLog, sql_db: Database, statement: str
) -> None:
    await audit.append(entry(0))
    with pytest.raises(DBAPIError, match="append-only"):
        async with sql_db.engine.begin() as conn:
            await conn.execute(text(statement))
    (kept,) = await audit.list()
    assert kept.actor == "admin-key"
