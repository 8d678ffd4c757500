"""`sluicegate prompts …` as an author runs it: a real process on a real database.

What the command line stores is read back both through the command line and straight from the
database (the store and the audit log), so a wrong write cannot hide behind a matching read.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from tests.contract.services import postgres_url, unique_name
from tests.e2e.database_cli import DatabaseCommands
from tests.e2e.processes import SLUICEGATE, run_cli

from sluicegate.core.ledger import AuditEntry
from sluicegate.core.prompts import LabelMove, LabelTarget, PromptVersion
from sluicegate.stores.sql import SqlStores

pytestmark = pytest.mark.e2e

# CRLF line ends, a tab and non-ASCII text: pull must give back exactly these bytes.
V1 = (
    "---\r\nname: support\r\ninputs:\r\n  customer: Zoë\r\n---\r\n"
    "system:\r\n\tHelp {{customer}}.\r\n"
)
V2 = "---\nname: support\ninputs:\n  customer: Zoë\n---\nsystem:\nHelp {{customer}} kindly.\n"


PROMPTS = DatabaseCommands("prompts")
ok, refused = PROMPTS.ok, PROMPTS.refused


def stored(url: str) -> tuple[Sequence[PromptVersion], Sequence[LabelMove], list[AuditEntry]]:
    """The versions and label moves of `support`, and the audit log, as the database holds
    them."""

    async def read() -> tuple[Sequence[PromptVersion], Sequence[LabelMove], list[AuditEntry]]:
        stores = SqlStores.create(url)
        try:
            versions = await stores.prompts.versions("support")
            moves = await stores.prompts.history("support")
            return versions, moves, await stores.audit.list(limit=1000)
        finally:
            await stores.close()

    return asyncio.run(read())


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'prompts.db'}"


def test_push_pull_round_trip_byte_for_byte(url: str, tmp_path: Path) -> None:
    file = write(tmp_path / "support.prompty", V1)
    assert ok(url, tmp_path, "push", str(file), "-m", "first cut") == "Pushed support@v1.\n"
    unchanged = ok(url, tmp_path, "push", str(file))
    assert "identical to support@v1; nothing was pushed" in unchanged
    write(file, V2)
    assert ok(url, tmp_path, "push", str(file)) == "Pushed support@v2 (parent v1).\n"

    pulled = subprocess.run(
        [*SLUICEGATE, "prompts", "pull", "support@v1", "--database-url", url],
        capture_output=True,
        cwd=tmp_path,
        check=True,
        timeout=30,
    )
    assert pulled.stdout == V1.encode("utf-8")
    out = tmp_path / "latest.prompty"
    assert "Wrote support@v2" in ok(url, tmp_path, "pull", "support", "-o", str(out))
    assert out.read_bytes() == V2.encode("utf-8")

    versions, _, audit = stored(url)
    assert [(v.version, v.parent, v.author, v.message) for v in versions] == [
        (1, None, "cli", "first cut"),
        (2, 1, "cli", ""),
    ]
    assert versions[0].source == V1
    assert [(e.actor, e.action, e.target) for e in audit] == [
        ("cli", "prompt.push", "support"),
        ("cli", "prompt.push", "support"),
    ]


def test_an_explicit_name_and_the_listing(url: str, tmp_path: Path) -> None:
    file = write(tmp_path / "a.prompty", V1)
    ok(url, tmp_path, "push", str(file), "--name", "support-eu")
    ok(url, tmp_path, "push", str(file))
    listed: list[dict[str, Any]] = json.loads(ok(url, tmp_path, "list", "--format", "json"))
    assert [(p["name"], p["latest"]) for p in listed] == [("support", 1), ("support-eu", 1)]
    table = ok(url, tmp_path, "list")
    assert table.splitlines()[0].split() == ["NAME", "LATEST", "LABELS", "UPDATED", "(UTC)"]


def test_labels_splits_history_show_and_diff(url: str, tmp_path: Path) -> None:
    file = write(tmp_path / "support.prompty", V1)
    ok(url, tmp_path, "push", str(file))
    write(file, V2)
    ok(url, tmp_path, "push", str(file))

    said = ok(url, tmp_path, "label", "support", "v1", "production", "--note", "launch")
    assert said == "Label production of support now points at v1.\n"
    said = ok(url, tmp_path, "label", "support", "production", "--split", "1:90,2:10")
    assert "now points at v1 (90), v2 (10) (was v1)" in said
    again = ok(url, tmp_path, "label", "support", "production", "--split", "1:90,2:10")
    assert "nothing changed" in again
    ok(url, tmp_path, "label", "support", "2", "staging")
    ok(url, tmp_path, "label", "support", "staging", "--remove")

    shown = json.loads(ok(url, tmp_path, "show", "support@v2", "--format", "json"))
    assert (shown["ref"], shown["labels"], shown["source"]) == ("support@v2", ["production"], V2)
    card = ok(url, tmp_path, "show", "support@1")
    assert card.startswith("prompt support@v1\n")
    assert "labels:  production" in card
    assert "split" in refused(url, tmp_path, 2, "show", "support@production")

    history = json.loads(ok(url, tmp_path, "history", "support", "--format", "json"))
    assert [(m["label"], m["before"], m["after"]) for m in history] == [
        ("production", [], [{"version": 1, "weight": 1}]),
        (
            "production",
            [{"version": 1, "weight": 1}],
            [{"version": 1, "weight": 90}, {"version": 2, "weight": 10}],
        ),
        ("staging", [], [{"version": 2, "weight": 1}]),
        ("staging", [{"version": 2, "weight": 1}], []),
    ]
    assert history[0]["note"] == "launch"
    only = json.loads(
        ok(url, tmp_path, "history", "support", "--label", "staging", "--format", "json")
    )
    assert len(only) == 2

    diff = ok(url, tmp_path, "diff", "support@v1", "support@v2")
    assert "--- support@v1" in diff
    assert "+Help {{customer}} kindly." in diff
    assert "identical" in ok(url, tmp_path, "diff", "support@2", "support")

    _, moves, audit = stored(url)
    assert [m.after for m in moves][-1] == ()
    assert moves[1].after == (LabelTarget(1, 90), LabelTarget(2, 10))
    assert [e.action for e in audit if e.action != "prompt.push"] == [
        "prompt.label",
        "prompt.label",
        "prompt.label",
        "prompt.unlabel",
    ]


def test_bad_input_exits_2_and_refusals_exit_1(url: str, tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.prompty", "---\nname: [x\n---\nhi\n")
    assert "not a valid prompty file: line 3" in refused(url, tmp_path, 2, "push", str(broken))
    nameless = write(tmp_path / "nameless.prompty", "Hello.\n")
    assert "give the prompt's name" in refused(url, tmp_path, 2, "push", str(nameless))
    assert "no such file" in refused(url, tmp_path, 2, "push", str(tmp_path / "nope.prompty"))
    binary = tmp_path / "binary.prompty"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "not UTF-8" in refused(url, tmp_path, 2, "push", str(binary))

    file = write(tmp_path / "support.prompty", V1)
    ok(url, tmp_path, "push", str(file))
    assert "no prompt 'other'" in refused(url, tmp_path, 1, "show", "other")
    assert "no version 7" in refused(url, tmp_path, 1, "pull", "support@v7")
    assert "no label 'beta'" in refused(url, tmp_path, 1, "show", "support@beta")
    assert "looks like a version" in refused(url, tmp_path, 2, "label", "support", "1", "v2")
    assert "no version 4" in refused(url, tmp_path, 1, "label", "support", "4", "beta")
    assert "VERSION:WEIGHT" in refused(url, tmp_path, 2, "label", "support", "b", "--split", "1")
    assert "(no VERSION)" in refused(
        url, tmp_path, 2, "label", "support", "1", "b", "--split", "1:1"
    )
    assert "NAME VERSION LABEL" in refused(url, tmp_path, 2, "label", "support", "1")
    assert "is not a prompt name" in refused(url, tmp_path, 2, "show", "bad name")
    assert "--format" in refused(url, tmp_path, 2, "list", "--format", "xml")
    versions, moves, _ = stored(url)
    assert (len(versions), moves) == (1, [])


def test_reading_a_database_that_is_not_there_says_so(tmp_path: Path) -> None:
    missing = f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}"
    message = refused(missing, tmp_path, 1, "list")
    assert "there is no database" in message
    assert not (tmp_path / "missing.db").exists()


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """The test server's URL with a fresh `?schema=`, dropped on the way out."""
    server = make_url(postgres_url())
    schema = unique_name()
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    yield server.update_query_dict({"schema": schema}).render_as_string(hide_password=False)

    async def drop() -> None:
        connection = await asyncpg.connect(dsn, timeout=10)
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await connection.close()

    asyncio.run(drop())


def test_push_and_label_on_postgresql(postgres_schema_url: str, tmp_path: Path) -> None:
    url = postgres_schema_url
    file = write(tmp_path / "support.prompty", V1)
    assert "sluicegate db upgrade" in refused(url, tmp_path, 1, "push", str(file))
    upgraded = run_cli("db", "upgrade", "--database-url", url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    ok(url, tmp_path, "push", str(file))
    ok(url, tmp_path, "label", "support", "1", "production")
    assert ok(url, tmp_path, "pull", "support@production") == V1.replace("\r\n", "\n")
    versions, moves, audit = stored(url)
    assert [v.source for v in versions] == [V1]
    assert [m.after for m in moves] == [(LabelTarget(1),)]
    assert [e.action for e in audit] == ["prompt.push", "prompt.label"]
