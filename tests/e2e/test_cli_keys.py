"""`sluicegate keys …` as an operator runs it, against a real gateway process on the same database.

Keys made by the command line must work (and stop working) on a running gateway: the gateway
re-reads a key at least once a second, so a revocation takes effect within 1 s.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from tests.contract.services import postgres_url
from tests.e2e.processes import run_cli, serve_in_thread, sluicegate

from sluicegate.config.simulator import zero_latency_config
from sluicegate.core.ledger import AuditEntry
from sluicegate.policies.api_keys import hash_key
from sluicegate.simulator.server import SimulatorServer
from sluicegate.stores.sql import SqlStores

pytestmark = pytest.mark.e2e

MODELS = ("gpt-4o", "gpt-4o-mini")
DATABASE_ENV = "SLUICEGATE_DATABASE_URL"
KEY = re.compile(r"^\s+(sg-[0-9a-f]{12}-\S+)$", re.MULTILINE)
REVOCATION_BOUND_S = 2.0
"""The gateway's key cache lives at most 1 s; allow as much again for a loaded machine."""


@dataclass(frozen=True)
class Created:
    key: str
    key_id: str
    stdout: str


def keys(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`sluicegate keys ARGS --database-url URL`, with the environment's URL unset."""
    return run_cli("keys", *args, "--database-url", url, cwd=cwd, unset=(DATABASE_ENV,))


def create(url: str, cwd: Path, *args: str) -> Created:
    result = keys(url, cwd, "create", *args)
    assert result.returncode == 0, result.stderr
    found = KEY.findall(result.stdout)
    assert len(found) == 1, result.stdout
    key = found[0]
    key_id = key.split("-")[1]
    assert f"Created key {key_id}" in result.stdout
    return Created(key, key_id, result.stdout)


def listed(url: str, cwd: Path, *args: str) -> list[dict[str, Any]]:
    result = keys(url, cwd, "list", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def audit_entries(url: str) -> list[AuditEntry]:
    async def read() -> list[AuditEntry]:
        stores = SqlStores.create(url)
        try:
            return await stores.audit.list(limit=1000)
        finally:
            await stores.close()

    return asyncio.run(read())


# --- a gateway on the database the command line writes ----------------------------------------


@dataclass(frozen=True)
class Gateway:
    url: str
    database_url: str
    home: Path

    def call(self, key: str, model: str = "gpt-4o", *, azure: bool = False) -> httpx.Response:
        headers = {"api-key": key} if azure else {"Authorization": f"Bearer {key}"}
        body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
        return httpx.post(
            f"{self.url}/v1/chat/completions", json=body, headers=headers, timeout=10.0
        )

    def wait_for_status(self, key: str, status: int, within: float = REVOCATION_BOUND_S) -> float:
        """Seconds until a call with `key` answers `status`; fails after `within` seconds."""
        began = time.monotonic()
        while True:
            answer = self.call(key).status_code
            waited = time.monotonic() - began
            if answer == status:
                return waited
            assert waited < within, f"still {answer} after {waited:.2f} s, expected {status}"
            time.sleep(0.05)  # a poll interval inside a bounded loop, not a wait for a race


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    home = tmp_path_factory.mktemp("keys-gateway")
    database_url = f"sqlite+aiosqlite:///{home / 'gateway.db'}"
    with serve_in_thread(lambda: SimulatorServer(zero_latency_config(MODELS))) as simulator:
        config = home / "gateway.yaml"
        config.write_text(
            json.dumps(
                {
                    "server": {"host": "127.0.0.1", "port": 0},
                    "backends": [{"name": "sim", "url": f"{simulator}/v1"}],
                    "pools": {"p": {"members": [{"backend": "sim"}]}},
                    "models": {model: {"pool": "p"} for model in MODELS},
                    "database_url": database_url,
                }
            )
        )
        with sluicegate("serve", "--config", str(config), cwd=home, unset=(DATABASE_ENV,)) as gw:
            yield Gateway(gw.wait_for_banner(), database_url, home)


# --- the life of a key -------------------------------------------------------------------------


def test_create_list_authenticate_revoke(gateway: Gateway) -> None:
    url, home = gateway.database_url, gateway.home
    made = create(url, home, "--name", "billing", "--team", "finance", "--role", "app")
    assert "only time the key is shown" in made.stdout

    [row] = [row for row in listed(url, home) if row["key_id"] == made.key_id]
    assert (row["name"], row["team"], row["role"], row["status"]) == (
        "billing",
        "finance",
        "app",
        "active",
    )
    table = keys(url, home, "list", "--team", "finance")
    show = keys(url, home, "show", made.key_id)
    assert made.key_id in table.stdout
    assert "billing" in table.stdout
    assert "name:     billing" in show.stdout
    for output in (table.stdout, show.stdout, json.dumps(listed(url, home))):
        assert made.key not in output
        assert hash_key(made.key) not in output
        assert made.key.split("-", 2)[2] not in output  # the secret (it may hold "-")

    assert gateway.call(made.key).status_code == 200
    assert gateway.call(made.key, azure=True).status_code == 200

    revoked = keys(url, home, "revoke", made.key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert "within 1 s" in revoked.stdout
    gateway.wait_for_status(made.key, 401)
    assert "revoked" in gateway.call(made.key).json()["error"]["message"]
    [row] = [row for row in listed(url, home, "--team", "finance") if row["key_id"] == made.key_id]
    assert row["status"] == "revoked"

    actions = [(e.action, e.target, e.actor) for e in audit_entries(url)]
    assert ("key.create", made.key_id, "cli") in actions
    assert ("key.revoke", made.key_id, "cli") in actions
    everything = repr(audit_entries(url))
    assert made.key not in everything
    assert hash_key(made.key) not in everything


def test_rotate_with_grace_keeps_both_keys_working(gateway: Gateway) -> None:
    url, home = gateway.database_url, gateway.home
    old = create(
        url, home, "--name", "etl", "--team", "data", "--models", "gpt-4o", "--tpm", "9000"
    )
    assert gateway.call(old.key).status_code == 200

    rotated = keys(url, home, "rotate", old.key_id, "--grace", "1h")
    assert rotated.returncode == 0, rotated.stderr
    [new_key] = KEY.findall(rotated.stdout)
    new_id = new_key.split("-")[1]
    assert "keeps working until" in rotated.stdout
    for key in (old.key, new_key, old.key, new_key):
        assert gateway.call(key).status_code == 200

    rows = {row["key_id"]: row for row in listed(url, home, "--team", "data")}
    assert rows[old.key_id]["status"] == "retiring"
    revoke_at = datetime.fromisoformat(rows[old.key_id]["revoked_at"])
    assert timedelta(minutes=59) < revoke_at - datetime.now(UTC) <= timedelta(hours=1)
    copied = ("name", "team", "role", "models", "limits")
    assert {f: rows[new_id][f] for f in copied} == {f: rows[old.key_id][f] for f in copied}
    assert rows[new_id]["limits"]["tpm"] == 9000
    assert rows[new_id]["models"] == ["gpt-4o"]

    # Without a grace period the replaced key stops at once; its successor goes on.
    again = keys(url, home, "rotate", new_id)
    assert again.returncode == 0, again.stderr
    [newest] = KEY.findall(again.stdout)
    gateway.wait_for_status(new_key, 401)
    assert gateway.call(newest).status_code == 200
    assert gateway.call(old.key).status_code == 200  # its own grace period still runs

    rotations = [e for e in audit_entries(url) if e.action == "key.rotate"]
    assert {(e.target, e.details["replaced_by"]) for e in rotations} >= {
        (old.key_id, new_id),
        (new_id, newest.split("-")[1]),
    }
    created = {e.target: e.details for e in audit_entries(url) if e.action == "key.create"}
    assert created[new_id]["rotated_from"] == old.key_id


def test_a_revoked_key_cannot_be_rotated_back_to_life(gateway: Gateway) -> None:
    url, home = gateway.database_url, gateway.home
    made = create(url, home, "--name", "gone", "--team", "data")
    assert keys(url, home, "revoke", made.key_id).returncode == 0
    result = keys(url, home, "rotate", made.key_id)
    assert result.returncode == 1
    assert "is revoked" in result.stderr
    assert not KEY.findall(result.stdout)


def test_model_allow_list_is_enforced(gateway: Gateway) -> None:
    made = create(
        gateway.database_url,
        gateway.home,
        "--name",
        "mini",
        "--team",
        "t",
        "--models",
        "gpt-4o-mini",
    )
    assert gateway.call(made.key, "gpt-4o-mini").status_code == 200
    refused = gateway.call(made.key, "gpt-4o")
    assert refused.status_code == 403
    assert "gpt-4o-mini" in refused.json()["error"]["message"]


def test_rpm_limit_is_stored_and_enforced(gateway: Gateway) -> None:
    made = create(
        gateway.database_url,
        gateway.home,
        *("--name", "slow", "--team", "t", "--rpm", "1", "--tpm", "50000"),
        *("--max-concurrency", "2", "--expires", "30d"),
    )
    [row] = [r for r in listed(gateway.database_url, gateway.home) if r["key_id"] == made.key_id]
    assert row["limits"] == {"tpm": 50000, "rpm": 1, "max_concurrency": 2}
    expires = datetime.fromisoformat(row["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert gateway.call(made.key).status_code == 200
    second = gateway.call(made.key)
    assert second.status_code == 429
    assert "retry-after" in second.headers


# --- bad input and unknown keys ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--role", "boss"), "--role"),
        (("--rpm", "0"), "--rpm"),
        (("--tpm", "lots"), "--tpm"),
        (("--max-concurrency", "-1"), "--max-concurrency"),
        (("--expires", "soon"), "--expires 'soon': use a duration"),
        (("--expires", "2001-01-31"), "is not in the future"),
        (("--expires", "2027-02-30"), "--expires '2027-02-30'"),
        (("--models", "gpt-4o,,x"), "--models"),
        (("--name", " "), "--name must not be empty"),
    ],
)
def test_bad_input_is_exit_2_with_a_clear_message(
    tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    result = keys(url, tmp_path, "create", "--name", "n", "--team", "t", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert says in " ".join(result.stderr.split()).replace("│", "")
    assert "sg-" not in result.stdout
    assert listed(url, tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [
        ("rotate", "0123456789ab", "--grace", "forever"),
        ("list", "--format", "xml"),
        ("list", "--database-url", "mysql://db/keys"),
    ],
)
def test_other_bad_input_is_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run_cli("keys", *args, cwd=tmp_path, unset=(DATABASE_ENV,))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")


@pytest.mark.parametrize("command", ["show", "revoke", "rotate"])
def test_a_key_in_place_of_its_id_is_refused_without_echoing_it(
    tmp_path: Path, command: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    made = create(url, tmp_path, "--name", "n", "--team", "t")
    result = keys(url, tmp_path, command, made.key)
    assert result.returncode == 2
    assert "that is a key, not a key id" in result.stderr
    assert made.key not in result.stdout + result.stderr
    assert [e.action for e in audit_entries(url)] == ["key.create"]


def test_names_are_shown_as_written_not_as_markup(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    create(url, tmp_path, "--name", "[bold]chat[/bold]", "--team", "t")
    assert "[bold]chat[/bold]" in keys(url, tmp_path, "list").stdout


@pytest.mark.parametrize("command", ["show", "revoke", "rotate"])
def test_an_unknown_key_id_is_exit_1(tmp_path: Path, command: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    result = keys(url, tmp_path, command, "0123456789ab")
    assert result.returncode == 1
    assert "no key with id '0123456789ab'" in result.stderr
    assert audit_entries(url) == []


@pytest.mark.parametrize("command", ["create", "list", "show", "revoke", "rotate"])
def test_every_command_explains_itself(command: str) -> None:
    result = run_cli("keys", command, "--help")
    assert result.returncode == 0, result.stderr
    assert "--database-url" in result.stdout
    assert "--config" in result.stdout


def test_the_database_comes_from_the_flag_the_environment_or_the_config(tmp_path: Path) -> None:
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
    with_env = {DATABASE_ENV: urls["env"]}
    made = run_cli("keys", "create", "--name", "n", "--team", "t", cwd=tmp_path, env=with_env)
    assert made.returncode == 0, made.stderr
    via_config = run_cli(
        "keys", "list", "--config", str(config), cwd=tmp_path, unset=(DATABASE_ENV,)
    )
    assert via_config.returncode == 0, via_config.stderr
    assert "no keys" in via_config.stdout
    env_wins = run_cli("keys", "list", "--config", str(config), cwd=tmp_path, env=with_env)
    assert env_wins.returncode == 0, env_wins.stderr
    assert KEY.findall(made.stdout)[0].split("-")[1] in env_wins.stdout
    assert not (tmp_path / "sluicegate.db").exists()


# --- PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh, empty database on the test server (the URL names no schema, so a database of
    its own keeps this run's keys apart), dropped on the way out."""
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


def test_create_list_revoke_on_postgresql(postgres_database: str, tmp_path: Path) -> None:
    url = postgres_database
    refused = keys(url, tmp_path, "list")
    assert refused.returncode == 1
    assert "run `sluicegate db upgrade`" in refused.stderr
    upgraded = run_cli("db", "upgrade", "--database-url", url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr

    made = create(url, tmp_path, "--name", "pg", "--team", "ops", "--role", "operator")
    [row] = listed(url, tmp_path)
    assert (row["key_id"], row["role"], row["status"]) == (made.key_id, "operator", "active")
    assert made.key not in json.dumps(row)
    assert keys(url, tmp_path, "revoke", made.key_id).returncode == 0
    [row] = listed(url, tmp_path, "--team", "ops")
    assert row["status"] == "revoked"
    assert [(e.action, e.target) for e in audit_entries(url)] == [
        ("key.create", made.key_id),
        ("key.revoke", made.key_id),
    ]
