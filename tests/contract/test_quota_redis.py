"""Redis-only quota behaviour: several replicas on one limit, key expiry, and outages."""

from __future__ import annotations

import asyncio
import bisect
import logging
import random
import socket
import time
from collections.abc import AsyncIterator

import pytest
from tests.contract.redis_service import RedisService, count_keys, redis_service

from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import ServiceUnavailable
from sluicegate.core.quota import Admission, Denial, FailureMode, QuotaLimit, Scope
from sluicegate.stores.quota_decision import SCAN_LIMIT
from sluicegate.stores.quota_redis import RedisQuotaStore

HAMMER_WINDOW_S = 2.0
HAMMER_TPM = 20_000


@pytest.fixture
async def service() -> AsyncIterator[RedisService]:
    async with redis_service() as found:
        yield found


def replica(service: RedisService, window_s: float, **options: object) -> RedisQuotaStore:
    return RedisQuotaStore(
        service.client(),
        prefix=service.prefix,
        window_s=window_s,
        owns_client=True,
        **options,  # type: ignore[arg-type]
    )


async def _worker(
    store: RedisQuotaStore,
    limit: QuotaLimit,
    rng: random.Random,
    until: float,
    admitted: list[tuple[float, int]],
) -> None:
    """A client that keeps asking: reserve, reconcile to a smaller actual, repeat; on a denial
    wait as told (`retry-after-ms`, as the OpenAI SDKs do), checking in at least every 50 ms."""
    while time.monotonic() < until:
        estimate = rng.randint(50, 150)
        result = await store.reserve([limit], estimate)
        if isinstance(result, Denial):
            assert result.retry_after_s is not None
            assert 0 < result.retry_after_s <= HAMMER_WINDOW_S
            await asyncio.sleep(min(result.retry_after_s, 0.05))
            continue
        actual = estimate - rng.randint(0, 40)
        await store.reconcile(result.reservation, actual)
        admitted.append((result.reservation.charged_at, actual))


def _window_sums(events: list[tuple[float, int]], ends: list[float], window: float) -> list[int]:
    """Tokens admitted in (end - window, end] for each end."""
    times = [at for at, _ in events]
    prefix = [0]
    for _, amount in events:
        prefix.append(prefix[-1] + amount)
    sums = []
    for end in ends:
        hi = bisect.bisect_right(times, end)
        lo = bisect.bisect_right(times, end - window)
        sums.append(prefix[hi] - prefix[lo])
    return sums


async def test_replicas_hammering_one_limit_stay_within_two_percent(service: RedisService) -> None:
    """Three replicas x four callers, demand far above the limit, for 2.5 windows.

    Upper bound: every sliding window (checked at each admission, where sums peak) holds at
    most the limit of actual tokens (the issue allows +2%; the sliding log is exact). Lower
    bound: each window in a row from the first admission holds at least 95% of the limit.
    """
    limit = QuotaLimit(Scope.KEY, "hot", tpm=HAMMER_TPM)
    stores = [replica(service, HAMMER_WINDOW_S) for _ in range(3)]
    admitted: list[tuple[float, int]] = []
    until = time.monotonic() + 2.5 * HAMMER_WINDOW_S
    rng = random.Random(3)
    try:
        await asyncio.gather(
            *(
                _worker(store, limit, random.Random(rng.random()), until, admitted)
                for store in stores
                for _ in range(4)
            )
        )
    finally:
        for store in stores:
            await store.close()
    admitted.sort()
    ends = [at for at, _ in admitted]
    assert max(_window_sums(admitted, ends, HAMMER_WINDOW_S)) <= HAMMER_TPM
    start = admitted[0][0] - 1e-6
    in_a_row = [start + HAMMER_WINDOW_S * (k + 1) for k in range(2)]
    for total in _window_sums(admitted, in_a_row, HAMMER_WINDOW_S):
        assert HAMMER_TPM * 0.95 <= total <= HAMMER_TPM * 1.02


async def test_every_key_expires_and_cleanup_leaves_nothing(service: RedisService) -> None:
    store = replica(service, 0.2, slot_lease_s=0.3)
    try:
        admission = await store.reserve([QuotaLimit(Scope.KEY, "k", 100, 5)], 10)
        assert isinstance(admission, Admission)
        assert await store.acquire("k", 1) is not None
        client = service.client()
        try:
            keys = [key async for key in client.scan_iter(match=f"{{{service.prefix}}}*")]
            assert len(keys) == 3
            for key in keys:
                assert 0 < await client.pttl(key) <= 1300
        finally:
            await client.aclose()
    finally:
        await store.close()


async def test_time_comes_from_redis_not_the_replica(service: RedisService) -> None:
    skewed = ManualClock(start=5.0, wall_start=1_000.0)
    store = replica(service, 1.0, clock=skewed)
    try:
        admission = await store.reserve([QuotaLimit(Scope.KEY, "k", 100)], 10)
        assert isinstance(admission, Admission)
        assert abs(admission.reservation.charged_at - time.time()) < 5.0
    finally:
        await store.close()
    assert await count_keys(service) == 2


def _refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


LIMIT = QuotaLimit(Scope.KEY, "k", tpm=10, rpm=1)


async def test_fail_open_admits_uncounted_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    store = RedisQuotaStore.from_url(_refused_url(), failure_mode=FailureMode.OPEN)
    caplog.set_level(logging.WARNING, logger="sluicegate.stores.quota_redis")
    started = time.monotonic()
    try:
        for _ in range(3):
            admission = await store.reserve([LIMIT], 1000)
            assert isinstance(admission, Admission)
            assert admission.reservation.offline
            assert admission.headroom.headers() == {}
            await store.reconcile(admission.reservation, 5)
            await store.cancel(admission.reservation)
        slot = await store.acquire("k", 1)
        assert slot is not None
        assert slot.offline
        await store.release(slot)
    finally:
        await store.close()
    assert time.monotonic() - started < 2.0
    assert store.outage
    outage_lines = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outage_lines) == 1
    assert "fail_open" in outage_lines[0].getMessage()


async def test_fail_closed_refuses_with_503() -> None:
    store = RedisQuotaStore.from_url(_refused_url(), failure_mode=FailureMode.CLOSED)
    try:
        with pytest.raises(ServiceUnavailable) as caught:
            await store.reserve([LIMIT], 1)
        assert caught.value.status == 503
        with pytest.raises(ServiceUnavailable):
            await store.acquire("k", 1)
        with pytest.raises(ServiceUnavailable):
            await store.usage(LIMIT)
    finally:
        await store.close()


async def test_a_redis_that_never_answers_costs_one_timeout() -> None:
    """A server that accepts and then stays silent: bounded by the timeout, not hung."""
    held: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = RedisQuotaStore.from_url(
        f"redis://127.0.0.1:{port}/0", failure_mode=FailureMode.CLOSED, timeout_s=0.2
    )
    try:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            await store.reserve([LIMIT], 1)
        assert time.monotonic() - started < 1.0
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            await store.reserve([LIMIT], 1)
        assert time.monotonic() - started < 0.05  # within the probe interval: no second wait
    finally:
        await store.close()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_denial_walks_at_most_scan_limit_charges(service: RedisService) -> None:
    """Past SCAN_LIMIT charges, the wait is until the SCAN_LIMIT-th leaves (a lower bound)."""
    store = replica(service, 30.0)
    limit = QuotaLimit(Scope.KEY, "many", tpm=SCAN_LIMIT + 100)
    try:
        charged = []
        for _ in range(SCAN_LIMIT + 100):
            admission = await store.reserve([limit], 1)
            assert isinstance(admission, Admission)
            charged.append(admission.reservation.charged_at)
        denial = await store.reserve([limit], SCAN_LIMIT + 100)
        after = await store.reserve([QuotaLimit(Scope.KEY, "clock", rpm=10)], 0)
    finally:
        await store.close()
    assert isinstance(denial, Denial)
    assert isinstance(after, Admission)
    assert denial.retry_after_s is not None
    # The denial ran between the last charge and `after`; so the charge it waited for was:
    earliest = denial.retry_after_s + charged[-1] - 30.0
    latest = denial.retry_after_s + after.reservation.charged_at - 30.0
    assert earliest - 1e-6 <= charged[SCAN_LIMIT - 1] <= latest + 1e-6
