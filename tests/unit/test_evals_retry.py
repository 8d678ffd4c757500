"""Retries of the evaluation client: which replies are retried, how long it waits (the server's
hint first), and what a result records. Time is a fake clock and a recording sleep."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from aiohttp import web
from tests.e2e.support import served

from sluicegate.evals.backoff import Backoff
from sluicegate.evals.client import EndpointError, EvalClient
from sluicegate.evals.endpoint import build_endpoint


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    backoff = Backoff(max_attempts=8, base_seconds=1.0, max_seconds=5.0, rng=random.Random(3))
    delays = [backoff.delay(attempt, 503, {}) for attempt in range(1, 8)]
    for attempt, delay in enumerate(delays, start=1):
        nominal = min(5.0, 2.0 ** (attempt - 1))
        assert delay is not None
        assert nominal / 2 <= delay <= nominal
    assert backoff.delay(8, 503, {}) is None  # the last attempt
    assert backoff.delay(1, 400, {}) is None  # not retriable
    assert backoff.delay(1, 429, {"retry-after": "600"}) == 5.0  # a hint is capped, not ignored


def test_a_backoff_needs_one_attempt() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Backoff(max_attempts=0)


class FakeTime:
    """A clock that moves only when the client sleeps (and by `per_request` per request)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Replies = list[Callable[[], web.Response]]


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[str, Replies, list[dict[str, object]]]]:
    """A server that answers with the scripted replies in order, recording request bodies."""
    replies: Replies = []
    bodies: list[dict[str, object]] = []

    async def handle(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return replies.pop(0)()

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handle)
    app.router.add_post("/v1/embeddings", handle)
    async with served(app) as url:
        yield url, replies, bodies


def chat(text: str, **headers: str) -> Callable[[], web.Response]:
    body = {
        "choices": [{"message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2},
    }
    return lambda: web.json_response(body, headers=headers)


def error(status: int, message: str = "busy", **headers: str) -> Callable[[], web.Response]:
    body = {"error": {"message": message, "type": "x", "code": str(status)}}
    return lambda: web.json_response(body, status=status, headers=headers)


async def client_for(
    url: str, time: FakeTime, attempts: int = 4
) -> tuple[EvalClient, aiohttp.ClientSession]:
    session = aiohttp.ClientSession()
    endpoint = build_endpoint(url, environ={})
    backoff = Backoff(max_attempts=attempts, base_seconds=0.5, rng=random.Random(0))
    return EvalClient(session, endpoint, backoff, clock=time.clock, sleep=time.sleep), session


async def test_a_429_waits_what_the_server_asks_then_succeeds(
    upstream: tuple[str, Replies, list[dict[str, object]]],
) -> None:
    url, replies, bodies = upstream
    replies += [
        error(429, **{"retry-after-ms": "1250"}),
        error(503, **{"Retry-After": "2"}),
        chat("4", **{"x-sluicegate-prompt-version": "qa@v3"}),
    ]
    time = FakeTime()
    client, session = await client_for(url, time)
    async with session:
        reply = await client.chat({"model": "m", "messages": []})
    assert time.sleeps == [1.25, 2.0]
    assert reply.error is None
    assert reply.attempts == 3
    assert reply.headers["x-sluicegate-prompt-version"] == "qa@v3"
    assert reply.latency_s == 0.0  # the answering attempt only: the fake clock moved in sleeps
    assert len(bodies) == 3


async def test_without_a_hint_it_backs_off_exponentially_and_gives_up(
    upstream: tuple[str, Replies, list[dict[str, object]]],
) -> None:
    url, replies, _ = upstream
    replies += [error(500, "boom")] * 3
    time = FakeTime()
    client, session = await client_for(url, time, attempts=3)
    async with session:
        reply = await client.chat({"model": "m", "messages": []})
    assert reply.attempts == 3
    assert reply.status == 500
    assert reply.error == "HTTP 500: boom"
    first, second = time.sleeps
    assert 0.25 <= first <= 0.5
    assert 0.5 <= second <= 1.0


async def test_a_client_error_is_not_retried(
    upstream: tuple[str, Replies, list[dict[str, object]]],
) -> None:
    url, replies, _ = upstream
    replies += [error(400, "bad variables"), chat("never")]
    time = FakeTime()
    client, session = await client_for(url, time)
    async with session:
        reply = await client.chat({"model": "m", "messages": []})
    assert (reply.attempts, reply.status, reply.error) == (1, 400, "HTTP 400: bad variables")
    assert time.sleeps == []


async def test_no_reply_at_all_is_retried_then_reported() -> None:
    time = FakeTime()
    client, session = await client_for("http://127.0.0.1:9", time, attempts=2)
    async with session:
        reply = await client.chat({"model": "m", "messages": []})
    assert reply.status == 0
    assert reply.attempts == 2
    assert reply.error is not None
    assert reply.error.startswith("no reply from the endpoint")
    assert len(time.sleeps) == 1


async def test_complete_and_embed_for_evaluators(
    upstream: tuple[str, Replies, list[dict[str, object]]],
) -> None:
    url, replies, bodies = upstream
    vectors = {"data": [{"index": 1, "embedding": [0, 1]}, {"index": 0, "embedding": [1, 0]}]}
    replies += [chat('{"score": 5}'), lambda: web.json_response(vectors), error(404, "no model")]
    time = FakeTime()
    client, session = await client_for(url, time)
    async with session:
        text = await client.complete(
            [{"role": "user", "content": "rate"}], model="j", temperature=0
        )
        embedded = await client.embed(["a", "b"], model="e")
        with pytest.raises(EndpointError, match="HTTP 404: no model"):
            await client.complete([], model="j")
    assert text == '{"score": 5}'
    assert embedded == [[1.0, 0.0], [0.0, 1.0]]
    assert bodies[0] == {
        "model": "j",
        "messages": [{"role": "user", "content": "rate"}],
        "temperature": 0,
    }
    assert bodies[1] == {"model": "e", "input": ["a", "b"]}
