"""Times stored in UTC on both databases; records map one to one onto their tables."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from sluicegate.core.ledger import AuditEntry, UsageRecord
from sluicegate.stores.sql.schema import captures, usage_records
from sluicegate.stores.sql.types import UtcDateTime

TOKYO = timezone(timedelta(hours=9))
NOON_UTC = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_sqlite_stores_naive_utc_and_reads_aware_utc() -> None:
    column = UtcDateTime()
    stored = column.process_bind_param(datetime(2025, 3, 1, 21, 0, tzinfo=TOKYO), sqlite.dialect())
    assert stored == datetime(2025, 3, 1, 12, 0)
    assert stored is not None
    assert stored.tzinfo is None
    assert column.process_result_value(stored, sqlite.dialect()) == NOON_UTC


def test_postgresql_stores_aware_utc() -> None:
    column = UtcDateTime()
    stored = column.process_bind_param(
        datetime(2025, 3, 1, 21, 0, tzinfo=TOKYO), postgresql.dialect()
    )
    assert stored == NOON_UTC
    assert stored is not None
    assert stored.utcoffset() == timedelta(0)
    read = column.process_result_value(
        datetime(2025, 3, 1, 21, 0, tzinfo=TOKYO), postgresql.dialect()
    )
    assert read is not None
    assert read.tzinfo is UTC


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        UtcDateTime().process_bind_param(datetime(2025, 3, 1), sqlite.dialect())


def test_none_passes_through() -> None:
    assert UtcDateTime().process_bind_param(None, sqlite.dialect()) is None
    assert UtcDateTime().process_result_value(None, postgresql.dialect()) is None


def test_every_usage_field_has_a_column() -> None:
    # A capture is stored beside its record, in the `captures` table, in the same transaction.
    fields = {field.name for field in dataclasses.fields(UsageRecord)} - {"capture"}
    columns = {column.name for column in usage_records.columns} - {"id"}
    assert fields == columns
    assert {"request_id", "request", "response"} <= {column.name for column in captures.columns}


def _usage(**changes: object) -> UsageRecord:
    values: dict[str, object] = {
        "request_id": "r1",
        "at": NOON_UTC,
        "subject": "k",
        "team": "t",
        "model": "m",
        "backend": "b",
        "status": 200,
    }
    values.update(changes)
    return UsageRecord(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"at": datetime(2025, 3, 1)}, "timezone-aware"),
        ({"request_id": ""}, "request_id"),
        ({"prompt_tokens": -1}, "prompt_tokens must not be negative"),
        ({"attempts": -1}, "attempts"),
        ({"cost": -0.01}, "cost"),
        ({"ttft_ms": -1.0}, "ttft_ms"),
    ],
)
def test_usage_records_refuse_impossible_values(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _usage(**changes)


def test_usage_total_tokens() -> None:
    assert _usage(prompt_tokens=7, completion_tokens=5).total_tokens == 12


def test_audit_entries_need_an_aware_time_and_an_actor() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        AuditEntry(at=datetime(2025, 1, 1), actor="a", action="x", target="t")
    with pytest.raises(ValueError, match="actor"):
        AuditEntry(at=NOON_UTC, actor="", action="x", target="t")
