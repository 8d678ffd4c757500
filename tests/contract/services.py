"""The real servers contract tests run against, and the rule for when one is missing.

In CI (the `CI` environment variable set) a missing server fails the test: the tests must run
there. Elsewhere the test is skipped with a message naming the service and how to start it.
Tests isolate their data (a fresh PostgreSQL schema, a unique Redis key prefix) so that several
test runs can share one server.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from sqlalchemy.engine import make_url

POSTGRES_ENV = "SLUICEGATE_TEST_POSTGRES_URL"
POSTGRES_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
REDIS_ENV = "SLUICEGATE_TEST_REDIS_URL"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"

_POSTGRES_HOW = (
    "start it with `sudo service postgresql start` (or `docker run -d -p 5432:5432 "
    "-e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:16`), "
    f"or point {POSTGRES_ENV} at one"
)
_REDIS_HOW = (
    "start it with `redis-server --port 6379` (or `docker run -d -p 6379:6379 redis:7`), "
    f"or point {REDIS_ENV} at one"
)


def require_service(name: str, host: str, port: int, how_to_start: str) -> None:
    """Fail (in CI) or skip (elsewhere) unless `host:port` accepts a TCP connection."""
    try:
        with socket.create_connection((host, port), timeout=2.0):
            return
    except OSError as error:
        why = type(error).__name__
    message = f"{name} is not reachable at {host}:{port} ({why}); {how_to_start}."
    if os.environ.get("CI"):
        pytest.fail(f"{message} In CI these tests must run.", pytrace=False)
    pytest.skip(message)


def postgres_url() -> str:
    """The test PostgreSQL's SQLAlchemy URL (`SLUICEGATE_TEST_POSTGRES_URL` or the local
    default), once it is known to be reachable; else fail in CI, skip elsewhere."""
    url = os.environ.get(POSTGRES_ENV, POSTGRES_DEFAULT)
    parsed = make_url(url)
    require_service("PostgreSQL", parsed.host or "127.0.0.1", parsed.port or 5432, _POSTGRES_HOW)
    return url


def redis_url() -> str:
    """The test Redis URL (`SLUICEGATE_TEST_REDIS_URL` or the local default), once it is known
    to be reachable; else fail in CI, skip elsewhere."""
    url = os.environ.get(REDIS_ENV, REDIS_DEFAULT)
    parsed = make_url(url)
    require_service("Redis", parsed.host or "127.0.0.1", parsed.port or 6379, _REDIS_HOW)
    return url


def unique_name(prefix: str = "sgtest") -> str:
    """A name no other test run uses: for schemas, key prefixes, tables."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@asynccontextmanager
async def postgres_schema(url: str) -> AsyncIterator[str]:
    """A fresh, empty schema on the server at `url`, dropped with everything in it on exit."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    schema = unique_name()
    admin = await asyncpg.connect(dsn, timeout=10)
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield schema
        finally:
            await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await admin.close()
