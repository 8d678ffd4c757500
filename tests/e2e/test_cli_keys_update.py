"""`sluicegate keys create --budget …` and `sluicegate keys update`: the command line over
`KeyAdmin`, against a SQLite file."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.processes import run_cli

from sluicegate.core.ledger import AuditEntry
from sluicegate.stores.sql import SqlStores

pytestmark = pytest.mark.e2e

DATABASE_ENV = "SLUICEGATE_DATABASE_URL"
KEY = re.compile(r"^\s+(sg-[0-9a-f]{12}-\S+)$", re.MULTILINE)


def keys(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    return run_cli("keys", *args, "--database-url", url, cwd=tmp_path, unset=(DATABASE_ENV,))


def shown(tmp_path: Path, key_id: str) -> dict[str, Any]:
    result = keys(tmp_path, "show", key_id, "--format", "json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def audit(tmp_path: Path) -> list[AuditEntry]:
    async def read() -> list[AuditEntry]:
        stores = SqlStores.create(f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}")
        try:
            return await stores.audit.list(limit=1000)
        finally:
            await stores.close()

    return asyncio.run(read())


def test_budget_on_create_then_update_and_clear(tmp_path: Path) -> None:
    made = keys(
        tmp_path, "create", "--name", "n", "--team", "t", "--budget", "50USD/month",
        "--budget-alert", "0.5",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    key_id = KEY.findall(made.stdout)[0].split("-")[1]
    assert shown(tmp_path, key_id)["budget"] == {
        "amount_usd": 50.0,
        "period": "month",
        "alert_at": 0.5,
    }
    assert "budget:   50USD/month, alert at 50%" in keys(tmp_path, "show", key_id).stdout

    updated = keys(
        tmp_path, "update", key_id, "--tpm", "900", "--models", "a,b", "--clear", "budget"
    )
    assert updated.returncode == 0, updated.stderr
    assert f"Updated key {key_id}" in updated.stdout
    after = shown(tmp_path, key_id)
    assert (after["budget"], after["limits"]["tpm"], after["models"]) == (None, 900, ["a", "b"])
    cleared = keys(tmp_path, "update", key_id, "--clear", "tpm", "--clear", "models")
    assert cleared.returncode == 0, cleared.stderr
    final = shown(tmp_path, key_id)
    assert (final["limits"]["tpm"], final["models"]) == (None, [])

    entries = [(e.action, e.actor) for e in audit(tmp_path)]
    assert entries == [("key.create", "cli"), ("key.update", "cli"), ("key.update", "cli")]
    assert audit(tmp_path)[1].details["budget"] is None


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "nothing to change"),
        (("--budget-alert", "0.5"), "budget_alert_at needs a budget"),
        (("--tpm", "5", "--clear", "tpm"), "--tpm and --clear tpm"),
        (("--clear", "name"), "--clear 'name'"),
        (("--budget", "lots"), "--budget 'lots'"),
        (("--expires", "2001-01-01"), "is not in the future"),
    ],
)
def test_bad_updates_are_exit_2_and_change_nothing(
    tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    made = keys(tmp_path, "create", "--name", "n", "--team", "t")
    key_id = KEY.findall(made.stdout)[0].split("-")[1]
    result = keys(tmp_path, "update", key_id, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert says in result.stderr
    assert [e.action for e in audit(tmp_path)] == ["key.create"]


def test_updating_an_unknown_key_is_exit_1(tmp_path: Path) -> None:
    result = keys(tmp_path, "update", "0123456789ab", "--tpm", "5")
    assert result.returncode == 1
    assert "no key with id '0123456789ab'" in result.stderr
