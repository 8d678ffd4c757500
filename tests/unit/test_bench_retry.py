"""Client retries: backoff that doubles, waits what the server asks, and gives up in time.

The sender runs against a real aiohttp server; its sleep is injected, so no test waits."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from sluicegate.bench.client import Sender
from sluicegate.bench.retry import RetryPolicy
from sluicegate.bench.target import build_target

STREAM = (
    b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'
    b'data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":1}}\n\n'
    b"data: [DONE]\n\n"
)


def test_exponential_backoff_doubles_with_jitter_and_caps() -> None:
    policy = RetryPolicy(
        "exponential", max_attempts=6, base_seconds=1.0, max_seconds=5.0, rng=random.Random(3)
    )
    delays = [policy.delay(attempt, 429, {}) for attempt in range(1, 6)]
    for delay, nominal in zip(delays, (1.0, 2.0, 4.0, 5.0, 5.0), strict=True):
        assert delay is not None
        assert nominal / 2 <= delay <= nominal
    assert policy.delay(6, 429, {}) is None  # the sixth attempt was the last


def test_hints_win_and_are_capped() -> None:
    policy = RetryPolicy("exponential", base_seconds=1.0, max_seconds=10.0)
    assert policy.delay(1, 429, {"retry-after-ms": "1500"}) == 1.5
    assert policy.delay(1, 429, {"Retry-After": "120"}) == 10.0


def test_what_is_retried() -> None:
    policy = RetryPolicy("exponential")
    assert policy.delay(1, 400, {}) is None
    assert policy.delay(1, 503, {}) is not None
    assert policy.delay(1, 529, {}) is not None  # any 5xx, as the SDKs retry
    assert policy.delay(1, 0, {}) is not None  # no reply at all
    assert RetryPolicy("none").delay(1, 429, {}) is None
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy("exponential", max_attempts=0)


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[str, list[int]]]:
    """Answers 429 (asking for 300 ms), then 503 (no hint), then a stream."""
    calls: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        calls.append(1)
        if len(calls) == 1:
            return web.json_response(
                {"error": {"message": "slow down"}}, status=429, headers={"retry-after-ms": "300"}
            )
        if len(calls) == 2:
            return web.json_response({"error": {"message": "busy"}}, status=503)
        response = web.StreamResponse(headers={"x-sluicegate-backend": "paygo"})
        response.content_type = "text/event-stream"
        await response.prepare(request)
        await response.write(STREAM)
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/")).rstrip("/"), calls
    finally:
        await server.close()


async def test_sender_retries_with_the_injected_sleep(flaky: tuple[str, list[int]]) -> None:
    url, calls = flaky
    waits: list[float] = []
    ticks = iter(range(1000))

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    target = build_target(url, model="m", environ={})
    policy = RetryPolicy("exponential", base_seconds=2.0, rng=random.Random(1))
    async with ClientSession() as session:
        sender = Sender(session, target, policy, lambda: float(next(ticks)), sleep)
        outcome = await sender.send(b'{"model":"m"}', 0.0, prompt_estimate=5, model="m")
    assert len(calls) == 3
    assert waits[0] == pytest.approx(0.3)  # the server's retry-after-ms
    assert 2.0 <= waits[1] <= 4.0  # no hint after attempt 2: base × 2, jittered to [½, 1]
    assert outcome.completed
    assert (outcome.attempts, outcome.throttles) == (3, 1)
    assert (outcome.prompt_tokens, outcome.generated_tokens) == (9, 1)
    assert outcome.usage_reported
    assert outcome.backend == "paygo"


async def test_without_retries_the_first_429_is_final(flaky: tuple[str, list[int]]) -> None:
    url, calls = flaky
    async with ClientSession() as session:
        sender = Sender(session, build_target(url, model="m", environ={}), RetryPolicy(), lambda: 0)
        outcome = await sender.send(b"{}", 0.0, prompt_estimate=5)
    assert len(calls) == 1
    assert outcome.throttled
    assert not outcome.completed
    assert outcome.error == "status_429"
