"""How `RedisQuotaStore` behaves while Redis is unreachable, with a scripted fake client.

No sockets: the fake's scripts fail or answer as told, and a manual clock drives the probe
interval.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import ServiceUnavailable
from sluicegate.core.quota import Admission, Denial, FailureMode, LimitKind, QuotaLimit, Scope
from sluicegate.stores.quota_redis import RedisQuotaStore

LIMIT = QuotaLimit(Scope.KEY, "k", tpm=100, rpm=10)
LOGGER = "sluicegate.stores.quota_redis"


class FakeScript:
    def __init__(self, client: FakeClient, name: str) -> None:
        self.client, self.name = client, name

    async def __call__(self, keys: list[str], args: list[str]) -> Any:
        self.client.calls.append((self.name, keys, args))
        if self.client.failure is not None:
            raise self.client.failure
        return self.client.answers[self.name]


class FakeClient:
    def __init__(self) -> None:
        self.failure: BaseException | None = None
        self.calls: list[tuple[str, list[str], list[str]]] = []
        self.answers: dict[str, Any] = {
            # charged, now (µs), then used tokens, used requests, token wait, request wait
            "RESERVE": [1, 1_700_000_000_000_000, 40, 2, -2, -2],
            "ACQUIRE": 1,
            "RECONCILE": 1,
            "CANCEL": 1,
            "RELEASE": 1,
        }

    def register_script(self, text: str) -> FakeScript:
        for name, marker in (
            ("RESERVE", "wait_tokens"),
            ("RECONCILE", "actual tokens"),
            ("CANCEL", "Removes the charge"),
            ("USAGE", "Returns {tokens, requests}"),
            ("ACQUIRE", "lease_us"),
            ("RELEASE", "KEYS: slots. ARGV: id."),
        ):
            if marker in text:
                return FakeScript(self, name)
        raise AssertionError("unknown script")


def make(mode: FailureMode) -> tuple[RedisQuotaStore, FakeClient, ManualClock]:
    client, clock = FakeClient(), ManualClock()
    store = RedisQuotaStore(client, failure_mode=mode, probe_interval_s=1.0, clock=clock)  # type: ignore[arg-type]
    return store, client, clock


async def test_answers_become_decisions_with_redis_time() -> None:
    store, client, _ = make(FailureMode.CLOSED)
    admission = await store.reserve([LIMIT], 50)
    assert isinstance(admission, Admission)
    assert admission.reservation.charged_at == 1_700_000_000.0
    assert admission.headroom.remaining_tokens == 10
    assert admission.headroom.remaining_requests == 7
    _, keys, args = client.calls[-1]
    assert keys == ["{sluicegate}:q:key:k:log", "{sluicegate}:q:key:k:amt"]
    assert args[3:] == ["50", "1", "100", "10"]
    client.answers["RESERVE"] = [0, 1, 90, 2, 1_500_000, -2]
    denial = await store.reserve([LIMIT], 50)
    assert isinstance(denial, Denial)
    assert (denial.kind, denial.retry_after_s, denial.used) == (LimitKind.TOKENS, 1.5, 90)


async def test_fail_closed_refuses_then_probes_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    store, client, clock = make(FailureMode.CLOSED)
    client.failure = RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")
    for _ in range(3):
        with pytest.raises(ServiceUnavailable):
            await store.reserve([LIMIT], 1)
    assert len(client.calls) == 1  # later calls inside the probe interval skip Redis
    clock.advance(1.0)
    with pytest.raises(ServiceUnavailable):
        await store.acquire("k", 1)
    assert len(client.calls) == 2
    shadow = await store.reserve([LIMIT], 1, enforce=False)
    assert isinstance(shadow, Admission)
    assert shadow.reservation.offline
    client.failure = None
    clock.advance(1.0)
    assert isinstance(await store.reserve([LIMIT], 1), Admission)
    assert not store.outage
    messages = [record.getMessage() for record in caplog.records]
    assert sum("unreachable" in message for message in messages) == 1
    assert sum("reachable again" in message for message in messages) == 1


async def test_fail_open_admits_offline_and_never_touches_redis_for_offline_handles() -> None:
    store, client, _ = make(FailureMode.OPEN)
    client.failure = TimeoutError()
    admission = await store.reserve([LIMIT], 5)
    assert isinstance(admission, Admission)
    assert admission.reservation.offline
    slot = await store.acquire("k", 1)
    assert slot is not None
    assert slot.offline
    client.failure = None
    await store.reconcile(admission.reservation, 3)
    await store.cancel(admission.reservation)
    await store.release(slot)
    assert [name for name, _, _ in client.calls] == ["RESERVE"]


async def test_after_the_call_failures_never_raise_even_fail_closed() -> None:
    store, client, clock = make(FailureMode.CLOSED)
    admission = await store.reserve([LIMIT], 5)
    slot = await store.acquire("k", 1)
    assert isinstance(admission, Admission)
    assert slot is not None
    client.failure = RedisConnectionError("gone")
    await store.reconcile(admission.reservation, 3)
    clock.advance(2.0)
    await store.cancel(admission.reservation)
    clock.advance(2.0)
    await store.release(slot)
    assert store.outage


async def test_script_errors_are_bugs_not_outages() -> None:
    store, client, _ = make(FailureMode.OPEN)
    client.failure = ResponseError("WRONGTYPE Operation against a key")
    with pytest.raises(ResponseError):
        await store.reserve([LIMIT], 1)
    assert not store.outage


def test_bad_settings_are_refused_and_repr_has_no_url() -> None:
    client = FakeClient()
    with pytest.raises(ValueError, match="prefix"):
        RedisQuotaStore(client, prefix="a{b}")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout_s"):
        RedisQuotaStore(client, timeout_s=0)  # type: ignore[arg-type]
    store = RedisQuotaStore.from_url("redis://:s3cret@127.0.0.1:1/0")
    assert "s3cret" not in repr(store)
