"""`sluicegate usage report` as an operator runs it: a real process reading a real ledger
(SQLite, and PostgreSQL through `SLUICEGATE_DATABASE_URL`), in every format and grouping."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from tests.contract.services import postgres_url
from tests.e2e.processes import run_cli
from tests.records import usage_record, write_records

from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql import SqlStores

pytestmark = pytest.mark.e2e

DATABASE_ENV = "SLUICEGATE_DATABASE_URL"
T0 = datetime(2026, 3, 2, tzinfo=UTC)
ONE_HOUR = ("--from", "2026-03-02", "--to", "2026-03-02T01:00:00Z")
PTU_TPM = 1000
"""Over ONE_HOUR: 60,000 PTU tokens of capacity."""


def usage(request_id: str, minute: int, **fields: object) -> UsageRecord:
    return usage_record(request_id, T0 + timedelta(minutes=minute), **{"billing": "ptu", **fields})


#   id  min  key    team    model        backend     billing  prompt  completion  cost
#   r1   0   key-a  search  gpt-4o       ptu-east    ptu        1000     200       0.012
#   r2   1   key-b  search  gpt-4o-mini  paygo-west  paygo       300     100       0.5
#   r3   2   key-c  ads     gpt-4o       ptu-east    ptu         500     100       0.25
#   r4   3   key-c  ads     gpt-4o       (none)      (none)       40       0       0
#   r5  60   key-a  search  gpt-4o       ptu-east    ptu        5000       0       1.0  (late)
RECORDS = [
    usage("r1", 0, prompt_tokens=1000, completion_tokens=200, cost=0.012),
    usage(
        "r2",
        1,
        subject="key-b",
        model="gpt-4o-mini",
        backend="paygo-west",
        billing="paygo",
        prompt_tokens=300,
        completion_tokens=100,
        cached_tokens=50,
        cost=0.5,
    ),
    usage(
        "r3", 2, subject="key-c", team="ads", prompt_tokens=500, completion_tokens=100, cost=0.25
    ),
    usage(
        "r4",
        3,
        subject="key-c",
        team="ads",
        backend=None,
        billing=None,
        prompt_tokens=40,
        status=502,
    ),
    usage("r5", 60, prompt_tokens=5000, cost=1.0),
]

# What each grouping shows for ONE_HOUR: group → (requests, total tokens, ptu tokens).
EXPECTED: dict[str, dict[str | None, tuple[int, int, int]]] = {
    "team": {"ads": (2, 640, 600), "search": (2, 1600, 1200)},
    "key": {"key-a": (1, 1200, 1200), "key-b": (1, 400, 0), "key-c": (2, 640, 600)},
    "model": {"gpt-4o": (3, 1840, 1800), "gpt-4o-mini": (1, 400, 0)},
    "backend": {"paygo-west": (1, 400, 0), "ptu-east": (2, 1800, 1800), None: (1, 40, 0)},
}
TOTAL = (4, 2240, 1800)


def report(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`sluicegate usage report ARGS`; the environment's database URL is unset unless given."""
    unset = () if env and DATABASE_ENV in env else (DATABASE_ENV,)
    return run_cli("usage", "report", *args, cwd=cwd, env=env, unset=unset)


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    return result.stdout


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """(working directory, database URL, a gateway config naming that database and a PTU
    backend of PTU_TPM tokens per minute)."""
    directory = tmp_path_factory.mktemp("usage")
    url = f"sqlite+aiosqlite:///{directory / 'ledger.db'}"
    write_records(url, RECORDS)
    config = directory / "gateway.yaml"
    config.write_text(
        json.dumps(
            {
                "database_url": url,
                "backends": [
                    {
                        "name": "ptu-east",
                        "url": "http://127.0.0.1:9",
                        "kind": "ptu",
                        "tpm": PTU_TPM,
                    },
                    {"name": "paygo-west", "url": "http://127.0.0.1:9", "tpm": 1_000_000},
                ],
                "pools": {
                    "main": {"members": [{"backend": "ptu-east"}, {"backend": "paygo-west"}]}
                },
                "models": {"gpt-4o": {"pool": "main"}, "gpt-4o-mini": {"pool": "main"}},
            }
        )
    )
    return directory, url, config


@pytest.mark.parametrize("by", list(EXPECTED))
def test_json_for_every_grouping(ledger: tuple[Path, str, Path], by: str) -> None:
    cwd, _, config = ledger
    data: dict[str, Any] = json.loads(
        succeeded(report(cwd, "--by", by, *ONE_HOUR, "--format", "json", "--config", str(config)))
    )
    assert (data["by"], data["from"], data["to"]) == (
        by,
        "2026-03-02T00:00:00Z",
        "2026-03-02T01:00:00Z",
    )
    assert data["ptu_capacity_tokens"] == 60_000
    shown = {
        row["group"]: (row["requests"], row["total_tokens"], row["ptu_tokens"])
        for row in data["rows"]
    }
    assert shown == EXPECTED[by]
    assert [row["group"] for row in data["rows"]] == list(EXPECTED[by])
    for row in data["rows"]:
        assert row["ptu_share"] == pytest.approx(row["ptu_tokens"] / 60_000)
    total = data["total"]
    assert (total["requests"], total["total_tokens"], total["ptu_tokens"]) == TOTAL
    assert total["cost_usd"] == 0.762
    assert total["ptu_share"] == 0.03


@pytest.mark.parametrize("by", list(EXPECTED))
def test_csv_for_every_grouping(ledger: tuple[Path, str, Path], by: str) -> None:
    cwd, url, _ = ledger
    text = succeeded(report(cwd, "--by", by, *ONE_HOUR, "--format", "csv", "--database-url", url))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        by,
        "requests",
        "prompt_tokens",
        "completion_tokens",
        "cached_tokens",
        "total_tokens",
        "cost_usd",
        "ptu_tokens",
        "ptu_share",
    ]
    *groups, total = rows
    shown = {
        row[by] or None: (int(row["requests"]), int(row["total_tokens"]), int(row["ptu_tokens"]))
        for row in groups
    }
    assert shown == EXPECTED[by]
    assert total[by] == "TOTAL"
    assert (int(total["requests"]), int(total["total_tokens"]), int(total["ptu_tokens"])) == TOTAL
    assert total["cost_usd"] == "0.762000"
    assert {row["ptu_share"] for row in rows} == {""}, "no config, so no PTU capacity"


@pytest.mark.parametrize("by", list(EXPECTED))
def test_table_for_every_grouping(ledger: tuple[Path, str, Path], by: str) -> None:
    cwd, _, config = ledger
    text = succeeded(report(cwd, "--by", by, *ONE_HOUR, "-f", "table", "-c", str(config)))
    lines = text.splitlines()
    assert lines[0] == f"Usage by {by}, 2026-03-02 00:00 to 2026-03-02 01:00 (UTC, end exclusive)"
    assert lines[1] == "PTU capacity: 60,000 tokens"
    heading, *body, rule, total = lines[3:]
    assert heading.split()[0] == by.upper()
    assert [line.split()[0] for line in body] == [
        "(no" if group is None else group for group in EXPECTED[by]
    ]
    assert set(rule) == {"-", " "}
    assert total.split() == [
        "TOTAL",
        "4",
        "1,840",
        "400",
        "50",
        "2,240",
        "0.7620",
        "1,800",
        "3.00%",
    ]
    assert len({len(line) for line in (heading, *body, rule, total)}) == 1


def test_the_defaults_are_a_table_by_team(ledger: tuple[Path, str, Path]) -> None:
    cwd, url, _ = ledger
    lines = succeeded(report(cwd, *ONE_HOUR, "--database-url", url)).splitlines()
    assert lines[0].startswith("Usage by team, ")
    assert lines[1] == "PTU capacity: unknown (no PTU backend declares its tpm)"
    assert [line.split()[0] for line in lines[3:]] == ["TEAM", "ads", "search", "------", "TOTAL"]


def test_the_default_range_is_this_month_until_now(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    now = datetime.now(UTC)
    month_start = datetime(now.year, now.month, 1, tzinfo=UTC)
    record = usage("template", 0, prompt_tokens=999)
    write_records(
        url,
        [
            replace(record, request_id="last-month", at=month_start - timedelta(seconds=1)),
            replace(record, request_id="this-month", at=now, prompt_tokens=7),
        ],
    )
    data = json.loads(succeeded(report(tmp_path, "-f", "json", env={DATABASE_ENV: url})))
    assert data["from"] == month_start.isoformat().replace("+00:00", "Z")
    assert datetime.fromisoformat(data["to"]) > now
    assert [(row["group"], row["prompt_tokens"]) for row in data["rows"]] == [("search", 7)]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--from", "soon"), "from 'soon' is not a time: use a date (2026-11-01"),
        (("--to", "2026-02-30"), "to '2026-02-30' is not a time"),
        (("--from", "2026-03-05", "--to", "2026-03-01"), "must be earlier than to"),
        (("--from", "tomorrow"), "from 'tomorrow' is not a time"),
        (("--by", "region"), "cannot group usage by 'region'; use one of: team, key"),
        (("--format", "xml"), "--format 'xml': use table, csv, json"),
        (("--database-url", "mysql://db/usage"), "'mysql' is not supported"),
    ],
)
def test_bad_input_is_exit_2_with_a_clear_message(
    ledger: tuple[Path, str, Path], args: tuple[str, ...], says: str
) -> None:
    cwd, url, _ = ledger
    result = report(cwd, "--database-url", url, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ")
    assert says in result.stderr
    assert result.stdout == ""


def test_a_missing_sqlite_database_is_exit_1_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "sluicegate.db"
    result = report(tmp_path, "--database-url", f"sqlite+aiosqlite:///{missing}")
    assert result.returncode == 1
    assert f"there is no database at {missing}" in result.stderr
    assert not missing.parent.exists()


def test_a_bad_config_is_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text("backends: []\n")
    result = report(tmp_path, "--config", str(config))
    assert result.returncode == 2
    assert "backends" in result.stderr


def test_the_command_explains_itself() -> None:
    result = run_cli("usage", "report", "--help")
    assert result.returncode == 0, result.stderr
    for option in ("--by", "--from", "--to", "--format", "--database-url", "--config"):
        assert option in result.stdout
    assert "report" in run_cli("usage", "--help").stdout


# --- PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh, empty database on the test server, dropped on the way out."""
    server = make_url(postgres_url())
    name = f"sgtest_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(admin_dsn, timeout=10)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_postgresql_ledger_from_the_environment(postgres_database: str, tmp_path: Path) -> None:
    url = postgres_database
    env = {DATABASE_ENV: url}
    refused = report(tmp_path, *ONE_HOUR, env=env)
    assert refused.returncode == 1
    assert "run `sluicegate db upgrade`" in refused.stderr
    upgraded = run_cli("db", "upgrade", "--database-url", url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr

    async def write() -> None:
        stores = SqlStores.create(url)
        try:
            await stores.ledger.write_batch(RECORDS)
        finally:
            await stores.close()

    asyncio.run(write())
    data = json.loads(
        succeeded(report(tmp_path, "--by", "backend", *ONE_HOUR, "-f", "json", env=env))
    )
    shown = {
        row["group"]: (row["requests"], row["total_tokens"], row["ptu_tokens"])
        for row in data["rows"]
    }
    assert shown == EXPECTED["backend"]
    assert (data["total"]["requests"], data["total"]["cost_usd"]) == (4, 0.762)
