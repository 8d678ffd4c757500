"""Bounded calls to a shared Redis, with one log line when an outage starts and one when it ends.

Stores on Redis (budgets here) must never let an unreachable server hold a request for longer
than a short timeout, and must not retry a dead server on every request: after a failure the
server is probed again only every `probe_interval_s`, and calls in between fail at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

from sluicegate.core.clock import Clock

log = logging.getLogger(__name__)

OUTAGE = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OSError, TimeoutError)
T = TypeVar("T")


class Unavailable(Exception):
    """Redis did not answer in time; the caller applies its failure mode."""


def bounded_client(url: str, timeout_s: float) -> Redis:
    """A client with short socket timeouts and no client-side retries."""
    return Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
        retry_on_timeout=False,
    )


class RedisCalls:
    """Runs calls against one Redis under a timeout and tracks whether it is down."""

    __slots__ = ("_clock", "_down_since", "_probe_at", "_probe_interval_s", "_timeout_s", "_what")

    def __init__(
        self, what: str, clock: Clock, *, timeout_s: float, probe_interval_s: float = 1.0
    ) -> None:
        """`what` names the store in log lines ("budget store")."""
        for name, value in (("timeout_s", timeout_s), ("probe_interval_s", probe_interval_s)):
            if not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {value}")
        self._what = what
        self._clock = clock
        self._timeout_s = timeout_s
        self._probe_interval_s = probe_interval_s
        self._down_since: float | None = None
        self._probe_at = 0.0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """The call's result, or Unavailable when Redis is down or too slow."""
        if self._down_since is not None and self._clock.now() < self._probe_at:
            raise Unavailable
        try:
            async with asyncio.timeout(self._timeout_s):
                result = await call()
        except OUTAGE as exc:
            self._failed(exc)
            raise Unavailable from exc
        if self._down_since is not None:
            log.warning(
                "%s reachable again after %.1f s",
                self._what,
                self._clock.now() - self._down_since,
            )
            self._down_since = None
        return result

    def _failed(self, exc: BaseException) -> None:
        now = self._clock.now()
        self._probe_at = now + self._probe_interval_s
        if self._down_since is None:
            self._down_since = now
            log.warning("%s unreachable (%s: %s)", self._what, type(exc).__name__, exc)


def as_ints(raw: Any) -> list[int]:
    return [int(value) for value in raw]
