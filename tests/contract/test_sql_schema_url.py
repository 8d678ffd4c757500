"""`?schema=NAME` on a PostgreSQL URL: gateways share one database, each in its own schema."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from tests.contract.services import postgres_url, unique_name
from tests.e2e.processes import run_cli

from sluicegate.core.identity import KeyRecord, Role
from sluicegate.stores.sql import (
    Database,
    SqlStores,
    StoreError,
    current_revision,
    head_revision,
    upgrade,
)

TABLES = {
    "teams",
    "api_keys",
    "usage_records",
    "audit_log",
    "blocklists",
    "feedback",
    "gateway_secrets",
    "captures",
    "prompt_versions",
    "prompt_labels",
    "prompt_label_moves",
    "datasets",
    "eval_runs",
    "eval_run_prompts",
    "alembic_version",
}
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class Server:
    """The test PostgreSQL seen from outside the gateway: what schemas and tables exist."""

    def __init__(self, url: str, connection: asyncpg.Connection) -> None:
        self.url = url
        self.connection = connection
        self.created: list[str] = []

    def schema_url(self, schema: str) -> str:
        """The server's URL with `?schema=`; the schema is dropped again after the test."""
        self.created.append(schema)
        with_schema = make_url(self.url).update_query_dict({"schema": schema})
        return with_schema.render_as_string(hide_password=False)

    async def schema_exists(self, schema: str) -> bool:
        found = await self.connection.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema
        )
        return bool(found)

    async def tables_in(self, schema: str) -> set[str]:
        rows = await self.connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
        )
        return {row["table_name"] for row in rows}


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    url = postgres_url()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=10)
    found = Server(url, connection)
    try:
        yield found
    finally:
        for schema in found.created:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()


def key(key_id: str, key_hash: str) -> KeyRecord:
    return KeyRecord(key_id, key_hash, f"{key_id} name", "search", Role.APP, created_at=T0)


async def test_upgrade_creates_the_schema_and_puts_every_table_in_it(server: Server) -> None:
    # Mixed case: the schema is a quoted identifier everywhere, never folded to lower case.
    schema = unique_name("SgTest")
    url = server.schema_url(schema)
    assert not await server.schema_exists(schema)
    assert await current_revision(url) is None
    assert not await server.schema_exists(schema), "reading the revision must not create it"

    await upgrade(url)
    assert await server.schema_exists(schema)
    assert await server.tables_in(schema) == TABLES
    assert await current_revision(url) == head_revision()
    await upgrade(url)  # again: the schema exists, nothing to do
    assert await current_revision(url) == head_revision()

    database = Database(url)
    try:
        async with database.engine.connect() as conn:
            search_path = (await conn.execute(text("SHOW search_path"))).scalar_one()
            assert search_path == f'"{schema}"'
    finally:
        await database.close()


async def test_two_gateways_in_two_schemas_do_not_see_each_others_keys(server: Server) -> None:
    first_url, second_url = server.schema_url(unique_name()), server.schema_url(unique_name())
    await upgrade(first_url)
    first = SqlStores.create(first_url)  # what the gateway builds from its database_url
    second = SqlStores.create(second_url)
    try:
        # PostgreSQL is never upgraded on start: the second schema is still empty.
        with pytest.raises(StoreError, match="sluicegate db upgrade"):
            await second.prepare()
        await upgrade(second_url)
        await first.prepare()
        await second.prepare()

        await first.keys.add(key("k-first", "hash-first"))
        await second.keys.add(key("k-second", "hash-second"))
        # One key id in both: each schema has its own unique index.
        await first.keys.add(key("k-both", "hash-both-1"))
        await second.keys.add(key("k-both", "hash-both-2"))

        assert await first.keys.get("k-second") is None
        assert await first.keys.find_by_hash("hash-second") is None
        assert await second.keys.get("k-first") is None
        assert await second.keys.find_by_hash("hash-first") is None
        assert {k.key_id for k in await first.keys.list()} == {"k-first", "k-both"}
        assert {k.key_id for k in await second.keys.list()} == {"k-second", "k-both"}
        both = await second.keys.get("k-both")
        assert both is not None
        assert both.key_hash == "hash-both-2"
    finally:
        await first.close()
        await second.close()
    for url in (first_url, second_url):
        schema = make_url(url).query["schema"]
        assert isinstance(schema, str)
        assert await server.tables_in(schema) == TABLES


async def test_a_role_that_may_not_create_schemas_upgrades_one_made_for_it(
    server: Server,
) -> None:
    role, schema = unique_name("sgrole"), unique_name()
    await server.connection.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        assert not await server.connection.fetchval(
            "SELECT has_database_privilege($1, current_database(), 'CREATE')", role
        )
        await server.connection.execute(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{role}"')
        as_role = make_url(server.schema_url(schema)).set(username=role, password=None)
        url = as_role.render_as_string(hide_password=False)
        await upgrade(url)
        assert await current_revision(url) == head_revision()
        assert await server.tables_in(schema) == TABLES
    finally:
        await server.connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await server.connection.execute(f'DROP ROLE IF EXISTS "{role}"')


async def test_db_upgrade_command_creates_the_schema(server: Server, tmp_path: Path) -> None:
    schema = unique_name()
    url = server.schema_url(schema)
    before = await cli(tmp_path, "db", "current", "--database-url", url)
    assert before.returncode == 0, before.stderr
    assert "empty database" in before.stdout
    assert not await server.schema_exists(schema)
    upgraded = await cli(tmp_path, "db", "upgrade", env={"SLUICEGATE_DATABASE_URL": url})
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"database schema is at revision {head_revision()}" in upgraded.stdout
    assert await server.tables_in(schema) == TABLES
    after = await cli(tmp_path, "db", "current", "--database-url", url)
    assert "up to date" in after.stdout


async def test_db_upgrade_refuses_a_bad_schema_name(server: Server, tmp_path: Path) -> None:
    bad = make_url(server.url).update_query_dict({"schema": "no-dashes"})
    result = await cli(tmp_path, "db", "upgrade", "--database-url", bad.render_as_string())
    assert result.returncode == 2
    assert "not a valid schema name" in result.stderr
    assert "Traceback" not in result.stderr
    assert not await server.schema_exists("no-dashes")


async def cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`sluicegate ARGS` in a child process, off the event loop the fixtures' connection uses."""
    return await asyncio.to_thread(run_cli, *args, env=env, cwd=cwd)
