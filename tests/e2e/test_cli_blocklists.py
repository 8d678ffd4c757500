"""`sluicegate blocklists …` as an operator runs it: a real process on a real database.

What the command line stores is read back both through the command line and straight from the
database (the store and the audit log), so a wrong write cannot hide behind a matching read.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from tests.contract.services import postgres_url
from tests.e2e.processes import SLUICEGATE, child_env, run_cli

from sluicegate.core.blocklists import BlocklistRecord
from sluicegate.core.ledger import AuditEntry
from sluicegate.stores.sql import SqlStores

pytestmark = pytest.mark.e2e

DATABASE_ENV = "SLUICEGATE_DATABASE_URL"
SECRET = "Project Nightjar"


def blocklists(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`sluicegate blocklists ARGS --database-url URL`, with the environment's URL unset."""
    return run_cli("blocklists", *args, "--database-url", url, cwd=cwd, unset=(DATABASE_ENV,))


def ok(url: str, cwd: Path, *args: str) -> str:
    result = blocklists(url, cwd, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def listed(url: str, cwd: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(ok(url, cwd, "list", "--format", "json"))
    return data


def stored(url: str) -> tuple[list[BlocklistRecord], list[AuditEntry]]:
    """The lists and the audit log as the database holds them."""

    async def read() -> tuple[list[BlocklistRecord], list[AuditEntry]]:
        stores = SqlStores.create(url)
        try:
            return await stores.blocklists.list(), await stores.audit.list(limit=1000)
        finally:
            await stores.close()

    return asyncio.run(read())


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'lists.db'}"


# --- the life of a list --------------------------------------------------------------------


def test_create_show_update_list_delete(url: str, tmp_path: Path) -> None:
    terms_file = tmp_path / "terms.txt"
    terms_file.write_text("\ufeffFabrikam GPT\n\n  東京 \ncontosoai\n", encoding="utf-8")
    made = ok(
        url,
        tmp_path,
        *("create", "competitors", "--term", "ContosoAI", "--term", SECRET),
        *("--terms-file", str(terms_file), "--pattern", r"\bfalcon\s*\d+\b"),
        *("--description", "Competitors' product names"),
    )
    assert made.strip() == "Created blocklist competitors: 4 terms, 1 pattern."

    [row] = listed(url, tmp_path)
    assert {k: row[k] for k in ("name", "term_count", "pattern_count", "description")} == {
        "name": "competitors",
        "term_count": 4,
        "pattern_count": 1,
        "description": "Competitors' product names",
    }
    shown = json.loads(ok(url, tmp_path, "show", "competitors", "--format", "json"))
    assert shown["terms"] == ["ContosoAI", SECRET, "Fabrikam GPT", "東京"]
    assert shown["patterns"] == [r"\bfalcon\s*\d+\b"]
    assert shown["created_at"] == row["created_at"] == shown["updated_at"]
    card = ok(url, tmp_path, "show", "competitors")
    assert "  terms (4):\n    ContosoAI\n    Project Nightjar\n" in card
    assert "  patterns (1):\n    \\bfalcon\\s*\\d+\\b" in card

    updated = ok(
        url,
        tmp_path,
        *("update", "competitors", "--remove-term", "project nightjar", "--add-term", "Litware"),
        *("--add-pattern", r"code[- ]name \d+", "--remove-pattern", r"\bfalcon\s*\d+\b"),
    )
    assert updated.strip() == "Updated blocklist competitors: 4 terms, 1 pattern."
    [record], _ = stored(url)
    assert record.terms == ("ContosoAI", "Fabrikam GPT", "東京", "Litware")
    assert record.patterns == (r"code[- ]name \d+",)
    assert record.description == "Competitors' product names"
    assert record.created_at is not None
    assert record.created_at.isoformat() == row["created_at"]

    same = ok(url, tmp_path, "update", "competitors", "--add-term", "LITWARE")
    assert same.strip() == (
        "Nothing changed: blocklist competitors already holds that (4 terms, 1 pattern)."
    )
    ok(url, tmp_path, "update", "competitors", "--description", "")
    ok(url, tmp_path, "create", "aaa")
    table = ok(url, tmp_path, "list")
    lines = table.splitlines()
    assert lines[0].split() == ["NAME", "TERMS", "PATTERNS", "UPDATED", "(UTC)", "DESCRIPTION"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["aaa", "0", "0"],
        ["competitors", "4", "1"],
    ]
    assert "Litware" not in table  # the listing shows counts, not entries

    deleted = ok(url, tmp_path, "delete", "competitors")
    assert deleted.strip() == "Deleted blocklist competitors."
    assert [row["name"] for row in listed(url, tmp_path)] == ["aaa"]

    _, audit = stored(url)
    assert [(e.action, e.target, e.actor) for e in audit] == [
        ("blocklist.create", "competitors", "cli"),
        ("blocklist.update", "competitors", "cli"),
        ("blocklist.update", "competitors", "cli"),
        ("blocklist.create", "aaa", "cli"),
        ("blocklist.delete", "competitors", "cli"),
    ]
    assert audit[0].details == {"terms": 4, "patterns": 1}
    assert audit[1].details == {
        "terms": 4,
        "patterns": 1,
        "terms_added": 1,
        "terms_removed": 1,
        "patterns_added": 1,
        "patterns_removed": 1,
        "description_changed": False,
    }
    assert audit[2].details["description_changed"] is True
    assert "nightjar" not in json.dumps([e.details for e in audit]).lower()


def test_terms_come_from_standard_input_too(url: str, tmp_path: Path) -> None:
    made = subprocess.run(
        [
            *(*SLUICEGATE, "blocklists", "create", "slurs"),
            *("--terms-file", "-", "--database-url", url),
        ],
        input="one\ntwo words\n",
        capture_output=True,
        text=True,
        env=child_env(unset=(DATABASE_ENV,)),
        cwd=tmp_path,
        timeout=30,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    [record], _ = stored(url)
    assert record.terms == ("one", "two words")


# --- bad input: exit 2, nothing stored -----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("a b",), "error: name 'a b': a blocklist name is 1 to 64"),
        (("a:b",), "a blocklist name is 1 to 64"),
        (("x" * 65,), "a blocklist name is 1 to 64"),
        (("l", "--pattern", "(unclosed"), "error: patterns: "),
        (("l", "--pattern", ""), "error: patterns: a pattern must not be empty"),
        (("l", "--term", " "), "error: terms: a term must not be empty"),
        (("l", "--term", "x" * 201), "a term is at most 200 characters"),
        (("l", "--pattern", "(a+)+"), "can take exponential time"),
        (("l", "--description", "d" * 501), "description must be one line of text"),
        (("l", "--terms-file", "missing.txt"), "error: --terms-file 'missing.txt': cannot read"),
    ],
)
def test_bad_input_to_create_is_exit_2_with_a_clear_message(
    url: str, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    result = blocklists(url, tmp_path, "create", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ")
    assert says in one_line(result.stderr)
    assert result.stdout == ""
    assert not (tmp_path / "lists.db").exists()


def test_a_terms_file_that_is_not_text_is_exit_2(url: str, tmp_path: Path) -> None:
    binary = tmp_path / "terms.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    result = blocklists(url, tmp_path, "create", "l", "--terms-file", str(binary))
    assert result.returncode == 2
    assert "is not UTF-8 text" in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "error: nothing to change"),
        (("--add-term", "x", "--remove-term", "X"), "'x' is also in add_terms"),
        (("--add-pattern", "(unclosed"), "error: add_patterns: "),
        (("--remove-pattern", ""), "error: remove_patterns: a pattern must not be empty"),
    ],
)
def test_bad_input_to_update_is_exit_2_and_changes_nothing(
    url: str, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    ok(url, tmp_path, "create", "l", "--term", "seed")
    result = blocklists(url, tmp_path, "update", "l", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ")
    assert says in one_line(result.stderr)
    [record], audit = stored(url)
    assert record.terms == ("seed",)
    assert [e.action for e in audit] == ["blocklist.create"]


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--format", "xml"),
        ("show", "l", "--format", "yaml"),
        ("list", "--database-url", "mysql://db/lists"),
    ],
)
def test_other_bad_input_is_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run_cli("blocklists", *args, cwd=tmp_path, unset=(DATABASE_ENV,))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")


# --- refusals: exit 1 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [("show", "ghost"), ("update", "ghost", "--add-term", "x"), ("delete", "ghost")]
)
def test_an_unknown_list_is_exit_1(url: str, tmp_path: Path, args: tuple[str, ...]) -> None:
    result = blocklists(url, tmp_path, *args)
    assert result.returncode == 1
    assert result.stderr.startswith("error: no managed blocklist 'ghost'")
    assert "sluicegate blocklists list" in result.stderr
    assert stored(url) == ([], [])


def test_creating_a_list_twice_is_exit_1_and_keeps_the_first(url: str, tmp_path: Path) -> None:
    ok(url, tmp_path, "create", "l", "--term", "first")
    result = blocklists(url, tmp_path, "create", "l", "--term", "second")
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "error: blocklist 'l' already exists; change it with `sluicegate blocklists update l`"
    )
    [record], audit = stored(url)
    assert record.terms == ("first",)
    assert len(audit) == 1


def test_no_lists_and_entries_shown_as_written(url: str, tmp_path: Path) -> None:
    assert ok(url, tmp_path, "list").strip() == "no managed blocklists"
    assert listed(url, tmp_path) == []
    ok(url, tmp_path, "create", "l.b", "--term", "[bold]x[/bold]", "--description", "[red]d")
    assert "[red]d" in ok(url, tmp_path, "list")
    assert "[bold]x[/bold]" in ok(url, tmp_path, "show", "l.b")


@pytest.mark.parametrize("command", ["create", "update", "list", "show", "delete"])
def test_every_command_explains_itself(command: str) -> None:
    result = run_cli("blocklists", command, "--help")
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
    made = run_cli("blocklists", "create", "l", cwd=tmp_path, env={DATABASE_ENV: urls["env"]})
    assert made.returncode == 0, made.stderr
    assert [record.name for record in stored(urls["env"])[0]] == ["l"]
    via_config = run_cli(
        "blocklists", "list", "--config", str(config), cwd=tmp_path, unset=(DATABASE_ENV,)
    )
    assert via_config.returncode == 0, via_config.stderr
    assert via_config.stdout.strip() == "no managed blocklists"


# --- PostgreSQL ----------------------------------------------------------------------------


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
    refused = blocklists(url, tmp_path, "list")
    assert refused.returncode == 1
    assert "run `sluicegate db upgrade`" in refused.stderr
    upgraded = run_cli("db", "upgrade", "--database-url", url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr

    ok(url, tmp_path, "create", "l", "--term", "ContosoAI", "--pattern", r"\bx\d+\b")
    ok(url, tmp_path, "update", "l", "--add-term", "東京", "--remove-pattern", r"\bx\d+\b")
    [row] = listed(url, tmp_path)
    assert (row["term_count"], row["pattern_count"]) == (2, 0)
    shown = json.loads(ok(url, tmp_path, "show", "l", "--format", "json"))
    assert shown["terms"] == ["ContosoAI", "東京"]
    assert blocklists(url, tmp_path, "create", "l").returncode == 1
    ok(url, tmp_path, "delete", "l")
    left, audit = stored(url)
    assert left == []
    assert [(e.action, e.target) for e in audit] == [
        ("blocklist.create", "l"),
        ("blocklist.update", "l"),
        ("blocklist.delete", "l"),
    ]
