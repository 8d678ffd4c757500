"""MemoryAuditLog keeps the AuditLog contract as SqlAuditLog does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sluicegate.core.ledger import AuditEntry, AuditLog
from sluicegate.stores.audit_memory import MemoryAuditLog

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def entry(minute: int, action: str = "key.create", **details: object) -> AuditEntry:
    return AuditEntry(
        at=T0 + timedelta(minutes=minute),
        actor="admin-key",
        action=action,
        target=f"key-{minute}",
        details=details,
    )


def test_implements_the_audit_protocol() -> None:
    log: AuditLog = MemoryAuditLog()
    assert isinstance(log, MemoryAuditLog)


async def test_entries_come_back_in_append_order_with_growing_ids() -> None:
    audit = MemoryAuditLog()
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
    assert (listed[0].at, listed[0].actor, listed[0].target) == (
        T0 + timedelta(minutes=5),
        "admin-key",
        "key-5",
    )


async def test_since_and_limit() -> None:
    audit = MemoryAuditLog()
    for minute in range(6):
        await audit.append(entry(minute))
    since = await audit.list(since=T0 + timedelta(minutes=2))
    assert [item.target for item in since] == ["key-2", "key-3", "key-4", "key-5"]
    first_two = await audit.list(since=T0 + timedelta(minutes=2), limit=2)
    assert [item.target for item in first_two] == ["key-2", "key-3"]


async def test_details_are_kept_as_json_gives_them_back() -> None:
    audit = MemoryAuditLog()
    models = ["gpt-4o"]
    await audit.append(entry(0, models=models, limits=(1, 2)))
    models.append("changed later")
    (kept,) = await audit.list()
    assert kept.details == {"models": ["gpt-4o"], "limits": [1, 2]}


async def test_bad_arguments_are_refused() -> None:
    audit = MemoryAuditLog()
    with pytest.raises(ValueError, match="JSON-serialisable"):
        await audit.append(entry(0, when=datetime.now(UTC)))
    with pytest.raises(ValueError, match="limit"):
        await audit.list(limit=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        await audit.list(since=datetime(2025, 1, 1))
    assert await audit.list() == []
