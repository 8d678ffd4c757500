"""`sluicegate capture show` and `sluicegate capture purge` as an operator runs them: a real
process against a real SQLite file written by the real ledger store."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.processes import run_cli
from tests.records import usage_record, write_records

from sluicegate.core.capture import Capture
from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql import SqlCaptureStore, open_sql_stores

pytestmark = pytest.mark.e2e

DATABASE_ENV = "SLUICEGATE_DATABASE_URL"
NOW = datetime.now(UTC)
REQUEST = '{"model":"gpt-4o","messages":[{"role":"user","content":"Grüße, [EMAIL:1a2b]"}]}'
RESPONSE = '{"choices":[{"index":0,"message":{"role":"assistant","content":"Hallo!"}}]}'


def record(request_id: str, age_days: float, capture: Capture | None) -> UsageRecord:
    return usage_record(request_id, NOW - timedelta(days=age_days), capture=capture)


def seed(url: str) -> None:
    """Write through the real ledger store, as the gateway's ledger writer does."""
    records = [
        record("fresh", 1, Capture(REQUEST, RESPONSE)),
        record("week-old", 8, Capture('{"model":"gpt-4o","mess', None, request_truncated=True)),
        record("month-old", 40, Capture(REQUEST, RESPONSE)),
        record("not-captured", 50, None),
    ]
    write_records(url, records)


def remaining(url: str) -> list[str]:
    async def read() -> list[str]:
        stores = await open_sql_stores(url)
        try:
            ids = ["fresh", "week-old", "month-old", "not-captured"]
            return sorted(await SqlCaptureStore(stores.database).get_many(ids))
        finally:
            await stores.close()

    return asyncio.run(read())


def capture_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("capture", *args, cwd=cwd, unset=(DATABASE_ENV,))


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    seed(url)
    return url


def test_show_prints_one_capture_as_json(tmp_path: Path, database: str) -> None:
    result = capture_cli(tmp_path, "show", "fresh", "--database-url", database)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["request_id"] == "fresh"
    assert shown["route"] == "gpt-4o"
    assert shown["subject"] == "key-a"
    assert shown["at"].endswith("Z")
    assert shown["request"]["messages"][0]["content"] == "Grüße, [EMAIL:1a2b]"
    assert shown["response"]["choices"][0]["message"]["content"] == "Hallo!"
    assert (shown["request_truncated"], shown["response_truncated"]) == (False, False)


def test_show_prints_a_truncated_request_as_text(tmp_path: Path, database: str) -> None:
    result = capture_cli(tmp_path, "show", "week-old", "--database-url", database)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["request"] == '{"model":"gpt-4o","mess'
    assert shown["request_truncated"] is True
    assert shown["response"] is None


def test_show_of_a_request_without_a_capture_fails_clearly(tmp_path: Path, database: str) -> None:
    result = capture_cli(tmp_path, "show", "not-captured", "--database-url", database)
    assert result.returncode == 1
    assert "no capture of request 'not-captured'" in result.stderr
    assert result.stdout == ""


def test_purge_deletes_older_captures_only(tmp_path: Path, database: str) -> None:
    result = capture_cli(tmp_path, "purge", "--older-than", "7", "--database-url", database)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("purged 2 captures of requests before ")
    assert "(older than 7 days)" in result.stdout
    assert remaining(database) == ["fresh"]
    again = capture_cli(tmp_path, "purge", "--older-than", "7", "--database-url", database)
    assert again.stdout.startswith("purged 0 captures")


def test_purge_defaults_to_the_configured_retention(tmp_path: Path, database: str) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(
        json.dumps(
            {
                "database_url": database,
                "capture": {"enabled": True, "retention_days": 30},
                "backends": [{"name": "sim", "url": "http://127.0.0.1:9"}],
                "pools": {"main": {"members": [{"backend": "sim"}]}},
                "models": {"gpt-4o": {"pool": "main"}},
            }
        )
    )
    result = capture_cli(tmp_path, "purge", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "purged 1 captures" in result.stdout
    assert "(older than 30 days)" in result.stdout
    assert remaining(database) == ["fresh", "week-old"]


def test_purge_older_than_zero_deletes_every_capture(tmp_path: Path, database: str) -> None:
    result = capture_cli(tmp_path, "purge", "--older-than", "0", "--database-url", database)
    assert result.returncode == 0, result.stderr
    assert remaining(database) == []


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    missing = f"sqlite+aiosqlite:///{tmp_path / 'nowhere.db'}"
    result = capture_cli(tmp_path, "show", "x", "--database-url", missing)
    assert result.returncode == 1
    assert "there is no database at" in result.stderr
    negative = capture_cli(tmp_path, "purge", "--older-than", "-1", "--database-url", missing)
    assert negative.returncode == 2
    assert "--older-than" in negative.stderr
    bad_url = capture_cli(tmp_path, "purge", "--database-url", "mysql://x/y")
    assert bad_url.returncode == 2
    assert "Traceback" not in bad_url.stderr
