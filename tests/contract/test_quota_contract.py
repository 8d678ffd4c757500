"""One contract for every `QuotaStore`: the same cases against memory and a real Redis.

The memory store runs on a manual clock; Redis runs on its own `TIME`, so there `advance` really
waits and waits are compared with a tolerance for the sleep's overshoot (retry times can only
come out shorter than expected, never longer).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from tests.contract.redis_service import redis_service

from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import RateLimited
from sluicegate.core.quota import (
    Admission,
    Denial,
    LimitKind,
    QuotaLimit,
    QuotaStore,
    Scope,
    WindowUsage,
)
from sluicegate.stores.quota_memory import MemoryQuotaStore
from sluicegate.stores.quota_redis import RedisQuotaStore

W = 1.0
"""The window in these tests (the stores take it as a parameter; production uses 60 s)."""


@dataclass
class Harness:
    store: QuotaStore
    advance: Callable[[float], Awaitable[None]]
    slack: float
    """How much earlier than expected a real clock may put a retry time."""

    def assert_wait(self, actual: float | None, expected: float) -> None:
        assert actual is not None
        assert expected - self.slack - 1e-6 <= actual <= expected + 1e-6


@pytest.fixture(params=["memory", "redis"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    if request.param == "memory":
        clock = ManualClock()

        async def step(seconds: float) -> None:
            clock.advance(seconds)

        yield Harness(MemoryQuotaStore(window_s=W, clock=clock), step, 0.0)
        return
    async with redis_service() as service:
        store = RedisQuotaStore(
            service.client(), prefix=service.prefix, window_s=W, owns_client=True
        )
        try:
            yield Harness(store, asyncio.sleep, 0.25)
        finally:
            await store.close()


def key(tpm: int | None = None, rpm: int | None = None, subject: str = "k1") -> QuotaLimit:
    return QuotaLimit(Scope.KEY, subject, tpm, rpm)


def team(tpm: int | None = None, rpm: int | None = None, subject: str = "t1") -> QuotaLimit:
    return QuotaLimit(Scope.TEAM, subject, tpm, rpm)


def admitted(result: Admission | Denial) -> Admission:
    assert isinstance(result, Admission), result
    return result


def denied(result: Admission | Denial) -> Denial:
    assert isinstance(result, Denial), result
    return result


async def test_admission_charges_and_reports_headroom(harness: Harness) -> None:
    limit = key(tpm=1000, rpm=10)
    result = admitted(await harness.store.reserve([limit], 300))
    assert result.over is None
    assert result.reservation.tokens == 300
    assert (result.headroom.limit_tokens, result.headroom.remaining_tokens) == (1000, 700)
    assert (result.headroom.limit_requests, result.headroom.remaining_requests) == (10, 9)
    assert await harness.store.usage(limit) == WindowUsage(300, 1)


async def test_denial_names_the_limit_and_when_it_fits(harness: Harness) -> None:
    limit = key(tpm=1000)
    admitted(await harness.store.reserve([limit], 600))
    await harness.advance(0.3)
    denial = denied(await harness.store.reserve([limit], 600))
    assert (denial.limit, denial.kind, denial.limit_value) == (limit, LimitKind.TOKENS, 1000)
    assert (denial.used, denial.requested) == (600, 600)
    harness.assert_wait(denial.retry_after_s, W - 0.3)
    assert denial.headroom.remaining_tokens == 400
    error = denial.error()
    assert isinstance(error, RateLimited)
    assert error.status == 429
    assert error.headers["Retry-After"] == "1"
    assert error.headers["x-ratelimit-remaining-tokens"] == "400"
    assert "key 'k1'" in error.message
    assert await harness.store.usage(limit) == WindowUsage(600, 1)


async def test_retry_after_waits_for_just_enough_charge_to_leave(harness: Harness) -> None:
    limit = key(tpm=1000)
    admitted(await harness.store.reserve([limit], 400))
    await harness.advance(0.4)
    admitted(await harness.store.reserve([limit], 400))
    await harness.advance(0.1)
    first_is_enough = denied(await harness.store.reserve([limit], 500))
    harness.assert_wait(first_is_enough.retry_after_s, W - 0.5)
    needs_both = denied(await harness.store.reserve([limit], 700))
    harness.assert_wait(needs_both.retry_after_s, W - 0.1)


async def test_request_limit_denies_the_extra_request(harness: Harness) -> None:
    limit = key(rpm=2)
    for _ in range(2):
        admitted(await harness.store.reserve([limit], 0))
    denial = denied(await harness.store.reserve([limit], 0))
    assert (denial.kind, denial.limit_value, denial.used, denial.requested) == (
        LimitKind.REQUESTS,
        2,
        2,
        1,
    )
    harness.assert_wait(denial.retry_after_s, W)
    assert denial.headroom.remaining_requests == 0


async def test_tightest_limit_wins_and_a_denial_charges_nothing(harness: Harness) -> None:
    own, shared, model = key(tpm=10_000), team(tpm=1000), QuotaLimit(Scope.MODEL, "gpt-4o", rpm=100)
    admission = admitted(await harness.store.reserve([own, shared, model], 800))
    assert (admission.headroom.limit_tokens, admission.headroom.remaining_tokens) == (1000, 200)
    assert (admission.headroom.limit_requests, admission.headroom.remaining_requests) == (100, 99)
    denial = denied(await harness.store.reserve([own, shared, model], 300))
    assert denial.limit == shared
    assert await harness.store.usage(own) == WindowUsage(800, 1)
    assert await harness.store.usage(shared) == WindowUsage(800, 1)
    assert await harness.store.usage(model) == WindowUsage(800, 1)


async def test_the_binding_limit_is_the_one_that_frees_last(harness: Harness) -> None:
    own, shared = key(tpm=1000), team(tpm=500)
    admitted(await harness.store.reserve([own], 600))
    await harness.advance(0.4)
    admitted(await harness.store.reserve([own, shared], 300))
    await harness.advance(0.1)
    denial = denied(await harness.store.reserve([own, shared], 300))
    assert denial.limit == shared
    harness.assert_wait(denial.retry_after_s, W - 0.1)


async def test_a_request_larger_than_the_limit_never_fits(harness: Harness) -> None:
    denial = denied(await harness.store.reserve([key(tpm=100)], 101))
    assert denial.retry_after_s is None
    assert "never fit" in denial.message()
    assert denial.error().headers["Retry-After"] == "1"


async def test_reconcile_refunds_at_the_instant_of_the_reservation(harness: Harness) -> None:
    limit = key(tpm=1000)
    first = admitted(await harness.store.reserve([limit], 500))
    await harness.advance(0.5)
    admitted(await harness.store.reserve([limit], 500))
    await harness.store.reconcile(first.reservation, 100)
    assert await harness.store.usage(limit) == WindowUsage(600, 2)
    admitted(await harness.store.reserve([limit], 400))
    await harness.advance(W - 0.5 + 0.05)
    # The first charge left with its reservation's instant, refund and all; the rest stay.
    assert await harness.store.usage(limit) == WindowUsage(900, 2)


async def test_reconcile_charges_extra_usage(harness: Harness) -> None:
    limit = key(tpm=1000)
    admission = admitted(await harness.store.reserve([limit], 100))
    await harness.store.reconcile(admission.reservation, 400)
    assert await harness.store.usage(limit) == WindowUsage(400, 1)
    denial = denied(await harness.store.reserve([limit], 700))
    assert denial.used == 400


async def test_reconcile_sets_rather_than_adds(harness: Harness) -> None:
    limit = key(tpm=1000)
    admission = admitted(await harness.store.reserve([limit], 500))
    await harness.store.reconcile(admission.reservation, 200)
    await harness.store.reconcile(admission.reservation, 200)
    assert await harness.store.usage(limit) == WindowUsage(200, 1)


async def test_reconcile_after_the_charge_left_the_window_changes_nothing(harness: Harness) -> None:
    limit = key(tpm=1000)
    old = admitted(await harness.store.reserve([limit], 500))
    await harness.advance(W + 0.05)
    admitted(await harness.store.reserve([limit], 100))
    await harness.store.reconcile(old.reservation, 0)
    await harness.store.reconcile(old.reservation, 900)
    assert await harness.store.usage(limit) == WindowUsage(100, 1)


async def test_negative_amounts_are_refused(harness: Harness) -> None:
    limit = key(tpm=1000)
    admission = admitted(await harness.store.reserve([limit], 10))
    with pytest.raises(ValueError, match="actual tokens"):
        await harness.store.reconcile(admission.reservation, -1)
    with pytest.raises(ValueError, match="tokens"):
        await harness.store.reserve([limit], -5)
    assert await harness.store.usage(limit) == WindowUsage(10, 1)


async def test_cancel_refunds_tokens_and_the_request(harness: Harness) -> None:
    limit = key(tpm=1000, rpm=1)
    admission = admitted(await harness.store.reserve([limit, team(rpm=5)], 900))
    await harness.store.cancel(admission.reservation)
    await harness.store.cancel(admission.reservation)
    assert await harness.store.usage(limit) == WindowUsage(0, 0)
    assert await harness.store.usage(team()) == WindowUsage(0, 0)
    admitted(await harness.store.reserve([limit], 1000))


async def test_shadow_mode_charges_and_says_what_it_broke(harness: Harness) -> None:
    limit = key(tpm=1000)
    admitted(await harness.store.reserve([limit], 800))
    shadow = admitted(await harness.store.reserve([limit], 800, enforce=False))
    assert shadow.over is not None
    assert (shadow.over.limit, shadow.over.used) == (limit, 800)
    assert shadow.headroom.remaining_tokens == 0
    assert await harness.store.usage(limit) == WindowUsage(1600, 2)


async def test_no_limits_admits_without_headers(harness: Harness) -> None:
    admission = admitted(await harness.store.reserve([key(), team()], 10**9))
    assert admission.headroom.headers() == {}
    await harness.store.reconcile(admission.reservation, 5)
    await harness.store.cancel(admission.reservation)


async def test_duplicate_subjects_are_charged_once_at_the_tightest(harness: Harness) -> None:
    admission = admitted(await harness.store.reserve([key(tpm=1000), key(tpm=500, rpm=3)], 400))
    assert admission.headroom.limit_tokens == 500
    assert await harness.store.usage(key()) == WindowUsage(400, 1)


async def test_concurrency_cap(harness: Harness) -> None:
    first = await harness.store.acquire("k1", 2)
    second = await harness.store.acquire("k1", 2)
    assert first is not None
    assert second is not None
    assert first.id != second.id
    assert await harness.store.acquire("k1", 2) is None
    assert await harness.store.acquire("k2", 2) is not None
    await harness.store.release(first)
    await harness.store.release(first)
    third = await harness.store.acquire("k1", 2)
    assert third is not None
    assert await harness.store.acquire("k1", 2) is None
    assert await harness.store.acquire("k3", 0) is None


async def test_the_window_slides(harness: Harness) -> None:
    limit = key(tpm=1000, rpm=2)
    admitted(await harness.store.reserve([limit], 600))
    await harness.advance(W / 2)
    admitted(await harness.store.reserve([limit], 400))
    denied(await harness.store.reserve([limit], 1))
    await harness.advance(W / 2 + 0.05)
    # Only the first charge has left: a sliding window, not a calendar reset.
    assert await harness.store.usage(limit) == WindowUsage(400, 1)
    admission = admitted(await harness.store.reserve([limit], 600))
    assert admission.headroom.remaining_tokens == 0
    denied(await harness.store.reserve([limit], 1))
