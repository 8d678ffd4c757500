"""Quota counters in Redis, shared by every gateway replica: N replicas enforce one limit.

Each operation is one Lua script (`stores.quota_lua`) on Redis `TIME`, so checking and charging
every limit of a request is atomic across replicas and immune to their clock skew. All keys of
one store share the hash tag `{prefix}`, so the multi-key scripts also run on Redis Cluster (on
one shard). Every key carries an expiry a little past the window (slots: past their lease), so
nothing grows without bound when subjects go quiet.

While Redis is unreachable the store follows its `FailureMode`: fail-open (the default) admits
without counting, fail-closed refuses with 503. Fail-open is the default because a counter
cache going down should not take every model call down with it: backends still enforce their
own limits (and routing spills over on their 429s); deployments where a quota is a hard
contract choose fail-closed. Either way the outage is logged once when it starts and once when
it ends, each call is bounded by a short timeout, and after a failure Redis is probed again
only every `probe_interval_s`, so an outage costs requests microseconds, not timeouts.
Reconcile, cancel and release never raise on an outage: the request is already over, and the
charge simply leaves the window (a slot: its lease ends) on its own.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

from sluicegate.core.clock import Clock, SystemClock
from sluicegate.core.errors import ServiceUnavailable
from sluicegate.core.quota import (
    WINDOW_S,
    Admission,
    Denial,
    FailureMode,
    Headroom,
    QuotaLimit,
    Reservation,
    Slot,
    WindowUsage,
    validate_cap,
    validate_tokens,
)
from sluicegate.stores import quota_lua
from sluicegate.stores.quota_decision import US, LimitState, applicable, decision, to_window_us

log = logging.getLogger(__name__)

_OUTAGE = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OSError, TimeoutError)
_FITS = -2


class _Unavailable(Exception):
    """Redis did not answer; the caller applies the failure mode."""


class RedisQuotaStore:
    """A `core.quota.QuotaStore` in Redis (redis-py asyncio)."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "sluicegate",
        window_s: float = WINDOW_S,
        failure_mode: FailureMode = FailureMode.OPEN,
        timeout_s: float = 0.25,
        probe_interval_s: float = 1.0,
        slot_lease_s: float = 900.0,
        clock: Clock | None = None,
        owns_client: bool = False,
    ) -> None:
        if not prefix or "{" in prefix or "}" in prefix:
            raise ValueError(f"a Redis key prefix must be non-empty without braces, not {prefix!r}")
        for name, value in (
            ("timeout_s", timeout_s),
            ("probe_interval_s", probe_interval_s),
            ("slot_lease_s", slot_lease_s),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {value}")
        self._client = client
        self._owns_client = owns_client
        self._prefix = f"{{{prefix}}}"
        self._window_us = to_window_us(window_s)
        self._ttl_ms = str(self._window_us // 1000 + 1000)
        self._mode = FailureMode(failure_mode)
        self._timeout_s = timeout_s
        self._probe_interval_s = probe_interval_s
        self._lease_us = str(round(slot_lease_s * US))
        self._clock: Clock = clock or SystemClock()
        self._down_since: float | None = None
        self._probe_at = 0.0
        self._scripts = {
            name: client.register_script(getattr(quota_lua, name))
            for name in ("RESERVE", "RECONCILE", "CANCEL", "USAGE", "ACQUIRE", "RELEASE")
        }

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float = 0.25, **options: Any) -> RedisQuotaStore:
        """A store with its own client: short socket timeouts, no client-side retries."""
        client = Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
        )
        return cls(client, timeout_s=timeout_s, owns_client=True, **options)

    def __repr__(self) -> str:
        return f"RedisQuotaStore(prefix={self._prefix!r}, mode={self._mode.value})"

    @property
    def window_s(self) -> float:
        return self._window_us / US

    @property
    def failure_mode(self) -> FailureMode:
        return self._mode

    @property
    def outage(self) -> bool:
        """Whether the last call found Redis unreachable."""
        return self._down_since is not None

    async def reserve(
        self, limits: Sequence[QuotaLimit], tokens: int, *, enforce: bool = True
    ) -> Admission | Denial:
        validate_tokens(tokens)
        active = applicable(limits)
        rid = secrets.token_hex(12)
        if not active:
            return Admission(Reservation(rid, (), tokens, self._clock.wall()), Headroom())
        args: list[str] = [
            str(self._window_us),
            self._ttl_ms,
            rid,
            str(tokens),
            "1" if enforce else "0",
        ]
        for limit in active:
            args += (
                "" if limit.tpm is None else str(limit.tpm),
                "" if limit.rpm is None else str(limit.rpm),
            )
        try:
            raw = await self._run("RESERVE", self._limit_keys(active), args)
        except _Unavailable:
            if enforce:  # shadow mode never refuses, not even fail-closed
                self._refuse_if_closed()
            offline = Reservation(rid, active, tokens, self._clock.wall(), offline=True)
            return Admission(offline, Headroom())
        values = [int(value) for value in raw]
        states = [_state(values[2 + 4 * i : 6 + 4 * i]) for i in range(len(active))]
        reservation = Reservation(rid, active, tokens, values[1] / US) if values[0] else None
        return decision(active, states, tokens, self._window_us, reservation)

    async def reconcile(self, reservation: Reservation, actual_tokens: int) -> None:
        validate_tokens(actual_tokens, "actual tokens")
        if reservation.offline or not reservation.limits:
            return
        args = [str(self._window_us), reservation.id, str(actual_tokens)]
        try:
            await self._run("RECONCILE", self._limit_keys(reservation.limits), args)
        except _Unavailable:
            return

    async def cancel(self, reservation: Reservation) -> None:
        if reservation.offline or not reservation.limits:
            return
        try:
            await self._run("CANCEL", self._limit_keys(reservation.limits), [reservation.id])
        except _Unavailable:
            return

    async def acquire(self, subject: str, cap: int) -> Slot | None:
        validate_cap(cap)
        sid = secrets.token_hex(12)
        try:
            got = await self._run(
                "ACQUIRE", [self._slot_key(subject)], [str(cap), self._lease_us, sid]
            )
        except _Unavailable:
            self._refuse_if_closed()
            return Slot(subject, sid, offline=True)
        return Slot(subject, sid) if int(got) else None

    async def release(self, slot: Slot) -> None:
        if slot.offline:
            return
        try:
            await self._run("RELEASE", [self._slot_key(slot.subject)], [slot.id])
        except _Unavailable:
            return

    async def usage(self, limit: QuotaLimit) -> WindowUsage:
        try:
            raw = await self._run("USAGE", self._limit_keys((limit,)), [str(self._window_us)])
        except _Unavailable as exc:
            raise ServiceUnavailable("The quota store is unreachable.") from exc
        return WindowUsage(int(raw[0]), int(raw[1]))

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _limit_keys(self, limits: Sequence[QuotaLimit]) -> list[str]:
        keys: list[str] = []
        for limit in limits:
            base = f"{self._prefix}:q:{limit.scope.value}:{limit.subject}"
            keys += (f"{base}:log", f"{base}:amt")
        return keys

    def _slot_key(self, subject: str) -> str:
        return f"{self._prefix}:c:{subject}"

    def _refuse_if_closed(self) -> None:
        if self._mode is FailureMode.CLOSED:
            raise ServiceUnavailable(
                "Quotas cannot be checked: the quota store is unreachable, and requests are "
                "refused until it is back."
            )

    async def _run(self, script: str, keys: list[str], args: list[str]) -> Any:
        if self._down_since is not None and self._clock.now() < self._probe_at:
            raise _Unavailable
        try:
            async with asyncio.timeout(self._timeout_s):
                result = await self._scripts[script](keys=keys, args=args)
        except _OUTAGE as exc:
            self._failed(exc)
            raise _Unavailable from exc
        if self._down_since is not None:
            self._recovered()
        return result

    def _failed(self, exc: BaseException) -> None:
        now = self._clock.now()
        self._probe_at = now + self._probe_interval_s
        if self._down_since is None:
            self._down_since = now
            what = "admitting without counting" if self._mode is FailureMode.OPEN else "refusing"
            log.warning(
                "quota store unreachable (%s: %s); %s requests until it recovers (%s)",
                type(exc).__name__,
                exc,
                what,
                self._mode.value,
            )

    def _recovered(self) -> None:
        assert self._down_since is not None
        log.warning(
            "quota store reachable again after %.1f s; counting resumes",
            self._clock.now() - self._down_since,
        )
        self._down_since = None


def _state(values: Sequence[int]) -> LimitState:
    used_tokens, used_requests, token_wait, request_wait = values
    return LimitState(
        used_tokens,
        used_requests,
        None if token_wait == _FITS else token_wait,
        None if request_wait == _FITS else request_wait,
    )
