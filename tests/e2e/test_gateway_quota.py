"""Quotas through the gateway: reserve, answer 429 past the limit, reconcile to real usage.

Every case runs with the in-process counters and with real Redis (shared counters).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from tests.contract.redis_service import redis_service
from tests.e2e.support import MODEL, gateway_config, sim_deployment

from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.core.clock import ManualClock
from sluicegate.core.identity import KeyRecord, Limits, Role
from sluicegate.policies.api_keys import generate_key, hash_key
from sluicegate.server.app import Gateway, create_gateway
from sluicegate.server.runner import start_serving
from sluicegate.simulator.server import SimulatorServer

pytestmark = pytest.mark.e2e

Start = Callable[..., Awaitable[tuple[str, Gateway]]]


@pytest.fixture(params=["memory", "redis"])
async def start(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Start]:
    async with AsyncExitStack() as stack:
        quotas_base: dict[str, Any] = {}
        if request.param == "redis":
            service = await stack.enter_async_context(redis_service())
            quotas_base = {"redis_url": service.url, "redis_key_prefix": service.prefix}

        async def start_gateway(
            quotas: dict[str, Any], *, auth: bool = False, clock: ManualClock | None = None
        ) -> tuple[str, Gateway]:
            deployments = [sim_deployment("only")]
            simulator = SimulatorServer(
                SimulatorConfig.model_validate({"port": 0, "deployments": deployments})
            )
            simulator_url = await simulator.start()
            stack.push_async_callback(simulator.stop)
            base = gateway_config(simulator_url, deployments)
            data = base.model_dump(mode="python")
            data["quotas"] = {**quotas_base, **quotas}
            data["auth"] = {"enabled": auth}
            data["database_url"] = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
            gateway = create_gateway(GatewayConfig.model_validate(data), clock=clock)
            serving = await start_serving(gateway.app, "127.0.0.1", 0, grace=0.5)
            stack.push_async_callback(serving.stop)
            return serving.url, gateway

        yield start_gateway


def chat(max_tokens: int) -> dict[str, Any]:
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": max_tokens,
    }


async def post(
    http: aiohttp.ClientSession, url: str, body: dict[str, Any], **headers: str
) -> tuple[int, dict[str, str], dict[str, Any]]:
    async with http.post(f"{url}/v1/chat/completions", json=body, headers=headers) as response:
        return response.status, dict(response.headers), await response.json()


async def test_a_model_tpm_limit_admits_then_refuses_with_retry_after(start: Start) -> None:
    url, _ = await start({"models": {MODEL: {"tpm": 200}}})
    async with aiohttp.ClientSession() as http:
        remaining: list[int] = []
        for _ in range(10):
            status, headers, body = await post(http, url, chat(40))
            if status != 200:
                break
            assert headers["x-ratelimit-limit-tokens"] == "200"
            remaining.append(int(headers["x-ratelimit-remaining-tokens"]))
        else:
            pytest.fail("the limit never refused a request")
    assert status == 429
    assert remaining == sorted(remaining, reverse=True)
    assert len(remaining) >= 2
    error = body["error"]
    assert error["code"] == "rate_limit_exceeded"
    assert f"model '{MODEL}'" in error["message"]
    assert "tokens" in error["message"]
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert 0 < int(headers["retry-after-ms"]) <= 60_000
    assert headers["x-ratelimit-limit-tokens"] == "200"


async def test_the_charge_is_reconciled_to_the_real_usage(start: Start) -> None:
    url, _ = await start({"models": {MODEL: {"tpm": 1500}}})
    async with aiohttp.ClientSession() as http:
        # Each reserves about 1,010 tokens but uses about 15: without reconciling, the second
        # request could not fit in 1,500.
        for _ in range(3):
            status, headers, _ = await post(
                http, url, chat(1000), **{"x-sim-completion-tokens": "5"}
            )
            assert status == 200
        assert int(headers["x-ratelimit-remaining-tokens"]) < 1500 - 1000
        status, headers, _ = await post(http, url, chat(5))
    assert status == 200
    assert int(headers["x-ratelimit-remaining-tokens"]) > 1500 - 100


async def test_a_keys_own_rpm_limit_names_the_key(start: Start) -> None:
    url, gateway = await start({}, auth=True)
    assert gateway.keys is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/healthz"):
            pass  # the application has started: the key store is ready
        key, key_id = generate_key()
        await gateway.keys.add(
            KeyRecord(key_id, hash_key(key), "limited", "default", Role.APP, limits=Limits(rpm=2))
        )
        statuses = []
        for _ in range(3):
            status, headers, body = await post(http, url, chat(3), **{"api-key": key})
            statuses.append(status)
    assert statuses == [200, 200, 429]
    assert f"key '{key_id}'" in body["error"]["message"]
    assert "requests" in body["error"]["message"]
    assert headers["x-ratelimit-limit-requests"] == "2"
    assert headers["x-ratelimit-remaining-requests"] == "0"


async def test_a_request_no_backend_was_asked_for_is_refunded(start: Start) -> None:
    clock = ManualClock()
    url, _ = await start({"models": {MODEL: {"rpm": 2}}}, clock=clock)
    async with aiohttp.ClientSession() as http:
        # A backend was called and failed: that request is charged.
        status, _, _ = await post(http, url, chat(3), **{"x-sim-status": "500"})
        assert status == 502
        # While the only backend cools down the gateway answers 429 itself: refunded.
        for _ in range(2):
            status, _, body = await post(http, url, chat(3))
            assert status == 429
            assert body["error"]["message"].startswith("Every backend for")
        clock.advance(10)  # past the cool-down, well inside the quota window
        status, headers, _ = await post(http, url, chat(3))
        assert status == 200
        assert headers["x-ratelimit-remaining-requests"] == "0"
        status, _, body = await post(http, url, chat(3))
    assert status == 429
    assert f"model '{MODEL}'" in body["error"]["message"]
