from typing import Any

import orjson
import pytest

from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import RateLimited
from sluicegate.core.exchange import Exchange
from sluicegate.core.policy import Handler, build_chain
from sluicegate.core.reply import Reply
from sluicegate.wire.endpoints import Endpoint


def make_exchange(raw: bytes = b'{"model":"m","messages":[]}') -> Exchange:
    return Exchange(
        request_id="r1",
        endpoint=Endpoint.CHAT,
        raw=raw,
        body=orjson.loads(raw),
        model="m",
        stream=False,
        include_usage=False,
        client_headers={},
        started_at=0.0,
        deadline=10.0,
    )


class Recorder:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    async def __call__(self, exchange: Exchange, call_next: Handler) -> Reply:
        self.log.append(f"{self.name}>")
        reply = await call_next(exchange)
        self.log.append(f"<{self.name}")
        return reply


async def test_chain_runs_policies_in_order_around_the_terminal() -> None:
    log: list[str] = []

    async def terminal(exchange: Exchange) -> Reply:
        log.append("backend")
        return Reply(200, body=b"ok")

    chain = build_chain([Recorder("a", log), Recorder("b", log)], terminal)
    reply = await chain(make_exchange())
    assert reply.body == b"ok"
    assert log == ["a>", "b>", "backend", "<b", "<a"]


async def test_a_policy_can_answer_early() -> None:
    async def deny(exchange: Exchange, call_next: Handler) -> Reply:
        return Reply(403, body=b"no")

    async def terminal(exchange: Exchange) -> Reply:
        raise AssertionError("must not be reached")

    reply = await build_chain([deny], terminal)(make_exchange())
    assert reply.status == 403


def test_raw_bytes_are_forwarded_until_a_policy_rewrites() -> None:
    raw = b'{"model":"m",   "messages":[]}'
    exchange = make_exchange(raw)
    assert exchange.upstream_bytes is raw
    exchange.rewrite({**exchange.body, "stream": True})
    assert orjson.loads(exchange.upstream_bytes) == {"model": "m", "messages": [], "stream": True}


async def test_finish_hooks_run_once_in_reverse_order() -> None:
    exchange = make_exchange()
    ran: list[Any] = []

    async def first(ex: Exchange) -> None:
        ran.append("first")

    async def second(ex: Exchange) -> None:
        ran.append("second")

    exchange.on_finish(first)
    exchange.on_finish(second)
    await exchange.finish()
    await exchange.finish()
    assert ran == ["second", "first"]


@pytest.mark.parametrize(
    ("seconds", "retry_after", "retry_after_ms"),
    [(0.0, "1", "0"), (0.2, "1", "200"), (1.0, "1", "1000"), (2.0001, "3", "2001")],
)
def test_rate_limited_always_carries_both_retry_headers(
    seconds: float, retry_after: str, retry_after_ms: str
) -> None:
    error = RateLimited("slow down", retry_after_s=seconds)
    assert error.status == 429
    assert error.headers == {"Retry-After": retry_after, "retry-after-ms": retry_after_ms}


def test_manual_clock_moves_only_forward() -> None:
    clock = ManualClock(start=5.0, wall_start=100.0)
    clock.advance(2.5)
    assert (clock.now(), clock.wall()) == (7.5, 102.5)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
