"""A Redis outage as the gateway's clients see it, fail-open and fail-closed.

The gateway reaches the real Redis through a TCP proxy (`tests/tcp_proxy.py`) that the test
cuts in the two ways a server fails: refused (the server is gone: connections reset, new ones
refused) and blackholed (connections accepted, nothing answered: only
`redis_timeout_seconds` ends the wait). A key's TPM limit shows whether the counters are
consulted: fail-open serves past it without counting while Redis is away and refuses again once
it is back; fail-closed refuses every call with 503 before any backend is asked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import openai
import pytest
from aiohttp import web
from tests.contract.redis_service import redis_service
from tests.e2e.support import MODEL, gateway_config, sim_deployment
from tests.tcp_proxy import TcpProxy

from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.core.identity import KeyRecord, Limits, Role
from sluicegate.policies.api_keys import generate_key, hash_key
from sluicegate.server.app import create_gateway
from sluicegate.server.runner import start_serving
from sluicegate.simulator.server import SimulatorServer

pytestmark = pytest.mark.e2e

REDIS_TIMEOUT_S = 0.3
OUTAGE_BOUND_S = REDIS_TIMEOUT_S + 1.5
"""The longest a call may take while Redis is away: one Redis timeout plus slack for a loaded
machine. Without the timeout a blackholed call would wait for ever."""
PROBE_INTERVAL_S = 1.0
"""How often the store tries Redis again while it is away (`RedisQuotaStore`'s default)."""
OUTAGE_S = 1.5 * PROBE_INTERVAL_S
"""Long enough that the store tries Redis again during the outage, on a new connection."""
RECOVERY_WAIT_S = 10.0
"""The most a test waits for the store's next probe to find Redis back."""
LIMIT = 200
COMPLETION_TOKENS = 40
BODY = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "hi"}],
    "max_tokens": COMPLETION_TOKENS,
}
QUOTA_LOGGER = "sluicegate.stores.quota_redis"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    seconds: float

    @property
    def remaining_tokens(self) -> int | None:
        """The key's headroom, stamped only when the counters were consulted."""
        value = self.headers.get("x-ratelimit-remaining-tokens")
        return None if value is None else int(value)


@dataclass
class Outage:
    url: str
    key: str
    key_id: str
    proxy: TcpProxy
    backend_requests: list[str]
    """Paths of the requests the simulated backend received, in order."""
    http: aiohttp.ClientSession

    async def call(self) -> Answer:
        headers = {
            "Authorization": f"Bearer {self.key}",
            # The simulator produces exactly max_tokens, so reserved == used: every admitted
            # call takes the same share of the limit.
            "x-sim-completion-tokens": str(COMPLETION_TOKENS),
        }
        began = time.monotonic()
        async with self.http.post(
            f"{self.url}/v1/chat/completions", json=BODY, headers=headers
        ) as response:
            body = await response.json()
            return Answer(response.status, dict(response.headers), body, time.monotonic() - began)

    async def calls(self, count: int) -> list[Answer]:
        """`count` calls at once, as concurrent clients would send them."""
        return list(await asyncio.gather(*(self.call() for _ in range(count))))

    async def during_outage(self, how: str, burst: int) -> list[Answer]:
        """Cut Redis off, send `burst` calls at once, then one call after another for
        `OUTAGE_S`; every answer. A blackhole must have held a new connection too."""
        accepted = self.proxy.accepted
        if how == "refused":
            await self.proxy.refuse()
        else:
            self.proxy.blackhole()
        ends = time.monotonic() + OUTAGE_S
        answers = await self.calls(burst)
        if how == "blackholed":
            # Calls already in flight each wait for the Redis timeout, and no longer.
            assert max(a.seconds for a in answers) >= 0.9 * REDIS_TIMEOUT_S
        while time.monotonic() < ends:
            answers.append(await self.call())
            await asyncio.sleep(0.05)  # a steady trickle of calls for the outage's length
        if how == "blackholed":
            assert self.proxy.accepted > accepted  # the probe's fresh connection was held too
        assert max(a.seconds for a in answers) < OUTAGE_BOUND_S, [a.seconds for a in answers]
        return answers

    async def first_answer(self, accept: Callable[[Answer], bool]) -> tuple[Answer, list[Answer]]:
        """Call until `accept(answer)` holds (bounded); that answer and the ones before it."""
        before: list[Answer] = []
        deadline = time.monotonic() + RECOVERY_WAIT_S
        while time.monotonic() < deadline:
            answer = await self.call()
            if accept(answer):
                return answer, before
            before.append(answer)
            await asyncio.sleep(0.05)  # a poll interval in a bounded loop, not a race's cure
        raise AssertionError(f"no accepted answer within {RECOVERY_WAIT_S:g} s: {before[-3:]}")


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Any]:
    async with AsyncExitStack() as stack:
        redis = await stack.enter_async_context(redis_service())
        parts = urlsplit(redis.url)
        proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
        await proxy.start()
        stack.push_async_callback(proxy.stop)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = (
            f"{credentials}@127.0.0.1:{proxy.port}" if credentials else f"127.0.0.1:{proxy.port}"
        )
        through_proxy = urlunsplit(parts._replace(netloc=netloc))

        backend_requests: list[str] = []

        @web.middleware
        async def seen(request: web.Request, handler: Any) -> web.StreamResponse:
            backend_requests.append(request.path)
            response: web.StreamResponse = await handler(request)
            return response

        http = await stack.enter_async_context(
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        )

        async def start_gateway(failure_mode: str) -> Outage:
            deployments = [sim_deployment("only")]
            simulator = SimulatorServer(
                SimulatorConfig.model_validate({"port": 0, "deployments": deployments})
            )
            simulator.app.middlewares.append(seen)
            simulator_url = await simulator.start()
            stack.push_async_callback(simulator.stop)
            data = gateway_config(simulator_url, deployments).model_dump(mode="python")
            data["auth"] = {"enabled": True}
            data["database_url"] = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
            data["quotas"] = {
                "redis_url": through_proxy,
                "redis_key_prefix": redis.prefix,
                "redis_failure_mode": failure_mode,
                "redis_timeout_seconds": REDIS_TIMEOUT_S,
            }
            gateway = create_gateway(GatewayConfig.model_validate(data))
            serving = await start_serving(gateway.app, "127.0.0.1", 0, grace=0.5)
            stack.push_async_callback(serving.stop)
            assert gateway.keys is not None
            key, key_id = generate_key()
            await gateway.keys.add(
                KeyRecord(
                    key_id, hash_key(key), "outage", "default", Role.APP, limits=Limits(tpm=LIMIT)
                )
            )
            return Outage(serving.url, key, key_id, proxy, backend_requests, http)

        yield start_gateway


def log_lines(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


@pytest.mark.parametrize("how", ["refused", "blackholed"])
async def test_fail_open_serves_uncounted_during_the_outage_and_counts_again_after(
    start: Any, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=QUOTA_LOGGER)
    outage: Outage = await start("fail_open")
    first = await outage.call()
    assert first.status == 200, first.body
    assert first.remaining_tokens is not None
    charge = LIMIT - first.remaining_tokens
    fits = LIMIT // charge
    assert fits >= 3, charge  # room for a test: several calls fit, then the limit refuses

    during = await outage.during_outage(how, burst=fits + 2)  # more than the limit admits
    assert [a.status for a in during] == [200] * len(during), [a.body for a in during]
    assert all(a.remaining_tokens is None for a in during)  # admitted without counting
    assert len(outage.backend_requests) == 1 + len(during)  # every one was really served
    [down] = log_lines(caplog, "quota store unreachable")
    assert "admitting without counting" in down
    assert "fail_open" in down

    await outage.proxy.restore()
    counted, uncounted = await outage.first_answer(lambda a: a.remaining_tokens is not None)
    assert all(a.status == 200 and a.remaining_tokens is None for a in uncounted)
    assert counted.status == 200, counted.body
    # Counting resumes where it stopped: none of the calls served meanwhile was charged.
    assert counted.remaining_tokens == LIMIT - 2 * charge
    admitted = 2
    while (answer := await outage.call()).status == 200:
        admitted += 1
        assert admitted <= fits, "the limit admitted more than it holds"
    assert answer.status == 429, answer.body
    assert admitted == fits
    assert answer.body["error"]["code"] == "rate_limit_exceeded"
    assert f"key '{outage.key_id}'" in answer.body["error"]["message"]
    assert len(log_lines(caplog, "quota store unreachable")) == 1  # logged once per outage
    assert len(log_lines(caplog, "reachable again")) == 1


@pytest.mark.parametrize("how", ["refused", "blackholed"])
async def test_fail_closed_refuses_with_503_and_asks_no_backend(
    start: Any, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=QUOTA_LOGGER)
    outage: Outage = await start("fail_closed")
    first = await outage.call()
    assert first.status == 200, first.body
    assert first.remaining_tokens is not None
    charge = LIMIT - first.remaining_tokens
    asked = len(outage.backend_requests)
    assert asked == 1

    refused = await outage.during_outage(how, burst=4)
    assert [a.status for a in refused] == [503] * len(refused)
    for answer in refused:
        error = answer.body["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert (error["type"], error["code"], error["param"]) == (
            "server_error",
            "service_unavailable",
            None,
        )
        assert "Quotas cannot be checked" in error["message"]
    async with openai.AsyncOpenAI(
        base_url=f"{outage.url}/v1", api_key=outage.key, max_retries=0
    ) as client:
        with pytest.raises(openai.InternalServerError) as caught:
            await client.chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": "hi"}],
                max_tokens=COMPLETION_TOKENS,
            )
    assert caught.value.status_code == 503
    assert "Quotas cannot be checked" in caught.value.message
    assert len(outage.backend_requests) == asked  # no refused call reached the backend
    [down] = log_lines(caplog, "quota store unreachable")
    assert "refusing" in down
    assert "fail_closed" in down

    await outage.proxy.restore()
    served, waiting = await outage.first_answer(lambda a: a.status == 200)
    assert all(a.status == 503 for a in waiting)
    assert served.remaining_tokens == LIMIT - 2 * charge  # refused calls were never charged
    assert len(outage.backend_requests) == asked + 1
    assert len(log_lines(caplog, "quota store unreachable")) == 1
    assert len(log_lines(caplog, "reachable again")) == 1
