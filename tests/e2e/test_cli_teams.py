"""`sluicegate teams …` as an operator runs it: a real process on a real database.

What the command line stores is read back both through the command line and straight from the
database (the stores and the audit log), so a wrong write cannot hide behind a matching read.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from tests.contract.services import postgres_url
from tests.e2e.processes import run_cli

from sluicegate.core.budget import Budget, BudgetPeriod
from sluicegate.core.identity import Limits, TeamRecord
from sluicegate.core.ledger import AuditEntry
from sluicegate.stores.sql import SqlStores

pytestmark = pytest.mark.e2e

DATABASE_ENV = "SLUICEGATE_DATABASE_URL"
KEY_ID = re.compile(r"Created key ([0-9a-f]{12})")


def teams(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`sluicegate teams ARGS --database-url URL`, with the environment's URL unset."""
    return run_cli("teams", *args, "--database-url", url, cwd=cwd, unset=(DATABASE_ENV,))


def ok(url: str, cwd: Path, *args: str) -> str:
    result = teams(url, cwd, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def listed(url: str, cwd: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(ok(url, cwd, "list", "--format", "json"))
    return data


def stored(url: str) -> tuple[list[TeamRecord], list[AuditEntry]]:
    """The teams and the audit log as the database holds them."""

    async def read() -> tuple[list[TeamRecord], list[AuditEntry]]:
        stores = SqlStores.create(url)
        try:
            return await stores.teams.list(), await stores.audit.list(limit=1000)
        finally:
            await stores.close()

    return asyncio.run(read())


def create_key(url: str, cwd: Path, team: str) -> str:
    result = run_cli(
        "keys", "create", "--name", "app", "--team", team, "--database-url", url, cwd=cwd
    )
    assert result.returncode == 0, result.stderr
    found = KEY_ID.search(result.stdout)
    assert found is not None, result.stdout
    return found.group(1)


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'teams.db'}"


# --- the life of a team ------------------------------------------------------------------------


def test_create_show_update_list_delete(url: str, tmp_path: Path) -> None:
    made = ok(
        url,
        tmp_path,
        *("create", "search", "--models", "gpt-4o,gpt-4o-mini", "--tpm", "200000"),
        *("--rpm", "600", "--budget", "50USD/month", "--budget-alert", "0.9"),
    )
    assert "Created team search." in made
    assert "50USD/month (alert at 90%)" in made

    [row] = listed(url, tmp_path)
    assert row["name"] == "search"
    assert row["models"] == ["gpt-4o", "gpt-4o-mini"]
    assert row["limits"] == {"tpm": 200000, "rpm": 600}
    assert row["budget"] == {"amount_usd": 50.0, "period": "month", "alert_at": 0.9}
    shown = json.loads(ok(url, tmp_path, "show", "search", "--format", "json"))
    assert shown == row
    card = ok(url, tmp_path, "show", "search")
    assert "models:   gpt-4o, gpt-4o-mini" in card
    assert "tpm:      200000" in card

    # A partial update changes what it names and keeps the rest.
    ok(url, tmp_path, "update", "search", "--tpm", "100000")
    [team], _ = stored(url)
    assert team.limits == Limits(tpm=100000, rpm=600)
    assert team.models == frozenset({"gpt-4o", "gpt-4o-mini"})
    assert team.budget == Budget(50.0, BudgetPeriod.MONTH, alert_at=0.9)
    assert team.created_at is not None
    assert team.created_at.isoformat() == row["created_at"]

    updated = ok(url, tmp_path, "update", "search", "--all-models", "--clear-rpm", "--clear-budget")
    assert "Updated team search." in updated
    [team], _ = stored(url)
    assert (team.models, team.limits, team.budget) == (frozenset(), Limits(tpm=100000), None)

    ok(url, tmp_path, "create", "ads")
    table = ok(url, tmp_path, "list")
    lines = table.splitlines()
    assert lines[0].split()[:5] == ["NAME", "MODELS", "TPM", "RPM", "BUDGET"]
    assert [line.split()[0] for line in lines[1:]] == ["ads", "search"]
    assert "100000" in lines[2]

    deleted = ok(url, tmp_path, "delete", "search")
    assert "Deleted team search." in deleted
    assert [row["name"] for row in listed(url, tmp_path)] == ["ads"]

    _, audit = stored(url)
    assert [(e.action, e.target, e.actor) for e in audit] == [
        ("team.create", "search", "cli"),
        ("team.update", "search", "cli"),
        ("team.update", "search", "cli"),
        ("team.create", "ads", "cli"),
        ("team.delete", "search", "cli"),
    ]
    assert audit[0].details == {
        "models": ["gpt-4o", "gpt-4o-mini"],
        "tpm": 200000,
        "rpm": 600,
        "budget": "50USD/month",
        "budget_alert_at": 0.9,
    }
    assert audit[1].details == {"tpm": 100000}
    assert audit[2].details == {
        "models": [],
        "rpm": None,
        "budget": None,
        "budget_alert_at": None,
    }
    assert audit[4].details == {"active_keys": 0, "force": False}


def test_the_alert_alone_changes_the_current_budget(url: str, tmp_path: Path) -> None:
    ok(url, tmp_path, "create", "search", "--budget", "$200/week")
    ok(url, tmp_path, "update", "search", "--budget-alert", "0.5")
    [team], _ = stored(url)
    assert team.budget == Budget(200.0, BudgetPeriod.WEEK, alert_at=0.5)

    ok(url, tmp_path, "update", "search", "--clear-budget")
    again = teams(url, tmp_path, "update", "search", "--budget-alert", "0.7")
    assert again.returncode == 2
    assert again.stderr.startswith("error: budget_alert_at needs a budget")


def test_a_team_with_working_keys_is_deleted_only_with_force(url: str, tmp_path: Path) -> None:
    ok(url, tmp_path, "create", "search", "--tpm", "5000")
    key_id = create_key(url, tmp_path, "search")
    revoked = create_key(url, tmp_path, "search")
    revoke = run_cli("keys", "revoke", revoked, "--database-url", url, cwd=tmp_path)
    assert revoke.returncode == 0, revoke.stderr

    refused = teams(url, tmp_path, "delete", "search")
    assert refused.returncode == 1
    message = one_line(refused.stderr)
    assert message.startswith("error: team 'search' still has 1 active key")
    assert "`sluicegate teams delete search --force`" in message
    assert [row["name"] for row in listed(url, tmp_path)] == ["search"]

    forced = ok(url, tmp_path, "delete", "search", "--force")
    assert "Its 1 active key keep working" in forced
    assert listed(url, tmp_path) == []
    keys = run_cli("keys", "list", "--format", "json", "--database-url", url, cwd=tmp_path)
    states = {row["key_id"]: row["status"] for row in json.loads(keys.stdout)}
    assert states == {key_id: "active", revoked: "revoked"}
    _, audit = stored(url)
    deletions = [e for e in audit if e.action == "team.delete"]
    assert [e.details for e in deletions] == [{"active_keys": 1, "force": True}]


# --- bad input: exit 2, nothing stored ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("a b",), "error: name 'a b': a team name is 1 to 128"),
        (("x" * 129,), "a team name is 1 to 128"),
        (("t", "--tpm", "-1"), "error: --tpm '-1': give a whole number, 0 or more"),
        (("t", "--tpm", "lots"), "error: --tpm 'lots'"),
        (("t", "--rpm", "1.5"), "error: --rpm '1.5'"),
        (("t", "--models", "gpt-4o,,x"), "error: --models 'gpt-4o,,x'"),
        (("t", "--budget", "lots"), "error: --budget 'lots': cannot read the budget"),
        (("t", "--budget", "5USD/year"), "error: --budget '5USD/year'"),
        (("t", "--budget", "5USD/day", "--budget-alert", "1.5"), "error: --budget-alert '1.5'"),
        (("t", "--budget-alert", "0.5"), "error: --budget-alert needs --budget"),
    ],
)
def test_bad_input_to_create_is_exit_2_with_a_clear_message(
    url: str, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    result = teams(url, tmp_path, "create", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ")
    assert says in one_line(result.stderr)
    assert result.stdout == ""
    assert not (tmp_path / "teams.db").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "error: nothing to change"),
        (("--tpm", "5", "--clear-tpm"), "use either --tpm or --clear-tpm, not both"),
        (("--models", "a", "--all-models"), "use either --models or --all-models, not both"),
        (("--budget", "5USD/day", "--clear-budget"), "use either --budget or --clear-budget"),
        (("--budget-alert", "0.5"), "budget_alert_at needs a budget, and team 'search' has none"),
    ],
)
def test_bad_input_to_update_is_exit_2_and_changes_nothing(
    url: str, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    ok(url, tmp_path, "create", "search", "--tpm", "7")
    result = teams(url, tmp_path, "update", "search", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ")
    assert says in one_line(result.stderr)
    [team], audit = stored(url)
    assert team.limits == Limits(tpm=7)
    assert [e.action for e in audit] == ["team.create"]


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--format", "xml"),
        ("show", "search", "--format", "yaml"),
        ("list", "--database-url", "mysql://db/teams"),
    ],
)
def test_other_bad_input_is_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run_cli("teams", *args, cwd=tmp_path, unset=(DATABASE_ENV,))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")


# --- refusals: exit 1 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [("show", "ghost"), ("update", "ghost", "--tpm", "1"), ("delete", "ghost")]
)
def test_an_unknown_team_is_exit_1(url: str, tmp_path: Path, args: tuple[str, ...]) -> None:
    result = teams(url, tmp_path, *args)
    assert result.returncode == 1
    assert result.stderr.startswith("error: no managed team 'ghost'")
    assert "sluicegate teams list" in result.stderr
    assert stored(url) == ([], [])


def test_creating_a_team_twice_is_exit_1_and_keeps_the_first(url: str, tmp_path: Path) -> None:
    ok(url, tmp_path, "create", "search", "--rpm", "1")
    result = teams(url, tmp_path, "create", "search", "--rpm", "2")
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "error: team 'search' already exists; change it with `sluicegate teams update search`"
    )
    [team], audit = stored(url)
    assert team.limits == Limits(rpm=1)
    assert len(audit) == 1


def test_no_teams_and_names_shown_as_written(url: str, tmp_path: Path) -> None:
    assert ok(url, tmp_path, "list").strip() == "no managed teams"
    assert listed(url, tmp_path) == []
    ok(url, tmp_path, "create", "team:b", "--models", "[bold]x[/bold]")
    assert "[bold]x[/bold]" in ok(url, tmp_path, "list")


@pytest.mark.parametrize("command", ["create", "update", "list", "show", "delete"])
def test_every_command_explains_itself(command: str) -> None:
    result = run_cli("teams", command, "--help")
    assert result.returncode == 0, result.stderr
    assert "--database-url" in result.stdout
    assert "--config" in result.stdout


def test_the_database_comes_from_the_environment_or_the_config(tmp_path: Path) -> None:
    urls = {name: f"sqlite+aiosqlite:///{tmp_path / name}.db" for name in ("env", "file")}
    config = tmp_path / "gateway.yaml"
    config.write_text(
        json.dumps(
            {
                "backends": [{"name": "b", "url": "http://127.0.0.1:9/v1"}],
                "pools": {"p": {"members": [{"backend": "b"}]}},
                "models": {"m": {"pool": "p"}},
                "database_url": urls["file"],
            }
        )
    )
    made = run_cli("teams", "create", "search", cwd=tmp_path, env={DATABASE_ENV: urls["env"]})
    assert made.returncode == 0, made.stderr
    assert [team.name for team in stored(urls["env"])[0]] == ["search"]
    via_config = run_cli(
        "teams", "list", "--config", str(config), cwd=tmp_path, unset=(DATABASE_ENV,)
    )
    assert via_config.returncode == 0, via_config.stderr
    assert via_config.stdout.strip() == "no managed teams"


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


def test_create_update_delete_on_postgresql(postgres_database: str, tmp_path: Path) -> None:
    url = postgres_database
    refused = teams(url, tmp_path, "list")
    assert refused.returncode == 1
    assert "run `sluicegate db upgrade`" in refused.stderr
    upgraded = run_cli("db", "upgrade", "--database-url", url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr

    ok(url, tmp_path, "create", "search", "--models", "gpt-4o", "--budget", "5USD/day")
    ok(url, tmp_path, "update", "search", "--rpm", "60", "--budget", "7.5USD/day")
    [row] = listed(url, tmp_path)
    assert (row["models"], row["limits"]) == (["gpt-4o"], {"tpm": None, "rpm": 60})
    assert row["budget"] == {"amount_usd": 7.5, "period": "day", "alert_at": 0.8}
    assert teams(url, tmp_path, "create", "search").returncode == 1
    ok(url, tmp_path, "delete", "search")
    teams_left, audit = stored(url)
    assert teams_left == []
    assert [(e.action, e.target) for e in audit] == [
        ("team.create", "search"),
        ("team.update", "search"),
        ("team.delete", "search"),
    ]
    assert audit[1].details == {"rpm": 60, "budget": "7.5USD/day", "budget_alert_at": 0.8}
