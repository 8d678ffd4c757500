"""The Redis server the contract tests run against, and the rule for when it is missing.

In CI (the `CI` environment variable set) a missing Redis fails the test: the tests must run
there. Elsewhere the test is skipped with a message naming the service and how to start it.
Each test gets a unique key prefix, and every key under it is deleted afterwards, so test runs
can share one server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

DEFAULT_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    """`SLUICEGATE_TEST_REDIS_URL`, else the local default."""
    return os.environ.get("SLUICEGATE_TEST_REDIS_URL", DEFAULT_URL)


@dataclass(frozen=True)
class RedisService:
    url: str
    prefix: str
    """Unique to one test; every key the test makes must start with `{prefix}`."""

    def client(self) -> Redis:
        """A new client with its own connection pool (like another gateway replica)."""
        return Redis.from_url(self.url, socket_timeout=5.0, socket_connect_timeout=2.0)


async def _reachable(url: str) -> str | None:
    """None when Redis answers PING, else why not."""
    client = Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
    try:
        await client.ping()
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await client.aclose()
    return None


def _shown(url: str) -> str:
    """The URL without credentials, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _missing(url: str, why: str) -> None:
    message = (
        f"Redis is not reachable at {_shown(url)} ({why}). Start it with "
        "`redis-server --port 6379` (or `docker run -p 6379:6379 redis:7`), or point "
        "SLUICEGATE_TEST_REDIS_URL at one."
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message} In CI these tests must run.", pytrace=False)
    pytest.skip(message)


async def _drop_prefix(url: str, prefix: str) -> None:
    client = Redis.from_url(url, socket_timeout=5.0)
    try:
        keys = [key async for key in client.scan_iter(match=f"{{{prefix}}}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@asynccontextmanager
async def redis_service() -> AsyncIterator[RedisService]:
    """A reachable Redis and a fresh key prefix, cleaned up on exit (or skip/fail per CI)."""
    url = redis_url()
    why = await _reachable(url)
    if why is not None:
        _missing(url, why)
    prefix = f"sgtest-{uuid.uuid4().hex[:12]}"
    try:
        yield RedisService(url, prefix)
    finally:
        await _drop_prefix(url, prefix)


async def count_keys(service: RedisService) -> int:
    """How many keys exist under the test's prefix (to check nothing is left behind)."""
    client = service.client()
    try:
        return len([key async for key in client.scan_iter(match=f"{{{service.prefix}}}*")])
    finally:
        await client.aclose()
