"""PTU first, pay-as-you-go for the overflow: the embedded default's shape under real load.

The window of the simulated deployments is shortened from the embedded default's 10 s to 2 s so
the scenario fits in seconds; capacity per minute, priorities and latency shape are unchanged.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest

from sluicegate.cli.embedded import (
    MODEL,
    PAYGO_DEPLOYMENT,
    PTU_DEPLOYMENT,
    embedded_gateway_config,
    embedded_simulator_config,
)
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.server.app import Gateway, create_gateway
from sluicegate.server.runner import start_serving
from sluicegate.simulator.server import SimulatorServer

pytestmark = pytest.mark.e2e

WINDOW_S = 2.0
OVERLOAD_S = 6.0
CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "Explain spillover."}]}


@dataclass
class Served:
    started: float
    status: int
    backend: str | None
    attempts: int
    tokens: int
    utilization: str | None


def shortened(config: SimulatorConfig, **changes: object) -> SimulatorConfig:
    latency = {"ttft_ms": 10, "ttft_ms_per_prompt_token": 0.0, "tokens_per_second": 300}
    deployments = [
        deployment.model_copy(
            update={
                "window_seconds": WINDOW_S,
                "latency": deployment.latency.model_copy(update=latency),
                **changes.get(deployment.name, {}),  # type: ignore[dict-item]
            }
        )
        for deployment in config.deployments
    ]
    return config.model_copy(update={"deployments": deployments})


async def call(http: aiohttp.ClientSession, url: str, started: float) -> Served:
    async with http.post(f"{url}/v1/chat/completions", json=CHAT) as response:
        body = await response.json()
        tokens = body["usage"]["total_tokens"] if response.status == 200 else 0
        return Served(
            started=started,
            status=response.status,
            backend=response.headers.get("x-sluicegate-backend"),
            attempts=int(response.headers.get("x-sluicegate-attempts", "0")),
            tokens=tokens,
            utilization=response.headers.get("azure-openai-deployment-utilization"),
        )


async def drive(url: str, workers: int, seconds: float) -> list[Served]:
    """Closed-loop load: `workers` clients send back to back until `seconds` have passed."""
    results: list[Served] = []
    began = time.monotonic()

    async def worker(http: aiohttp.ClientSession) -> None:
        while (now := time.monotonic()) - began < seconds:
            results.append(await call(http, url, now - began))

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(worker(http) for _ in range(workers)))
    return results


@asynccontextmanager
async def running(simulator_config: SimulatorConfig) -> AsyncIterator[tuple[str, str, Gateway]]:
    """The embedded default's gateway in front of `simulator_config`: (sim URL, URL, gateway)."""
    async with SimulatorServer(simulator_config) as simulator_url:
        config = embedded_gateway_config(simulator_url, "127.0.0.1", 0)
        # Routing is under test here; authentication and the ledger have their own tests.
        config = config.model_copy(
            update={
                "auth": config.auth.model_copy(update={"enabled": False}),
                "ledger": config.ledger.model_copy(update={"enabled": False}),
            }
        )
        gateway = create_gateway(config)
        serving = await start_serving(gateway.app, "127.0.0.1", 0, grace=1.0)
        try:
            yield simulator_url, serving.url, gateway
        finally:
            await serving.stop()


async def test_ptu_first_then_paygo_takes_only_the_overflow() -> None:
    config = shortened(embedded_simulator_config())
    ptu = next(d for d in config.deployments if d.name == PTU_DEPLOYMENT)
    assert ptu.capacity_tpm is not None
    async with running(config) as (simulator_url, url, _):
        # Under capacity: everything stays on the PTU deployment.
        async with aiohttp.ClientSession() as http:
            light = [await call(http, url, 0.0) for _ in range(3)]
        assert [s.backend for s in light] == [PTU_DEPLOYMENT] * 3
        assert all(s.attempts == 1 and s.utilization for s in light)

        # Well over capacity for a bounded time.
        results = await drive(url, workers=2, seconds=OVERLOAD_S)
        statuses = Counter(s.status for s in results)
        assert statuses == {200: len(results)}, statuses  # no 429 while PAYG has room
        by_backend = Counter()
        for served in results:
            by_backend[served.backend] += served.tokens
        light_tokens = sum(s.tokens for s in light)
        ptu_capacity = ptu.capacity_tpm / 60.0 * OVERLOAD_S
        assert by_backend[PTU_DEPLOYMENT] + light_tokens >= 0.9 * ptu_capacity, by_backend
        # The overload was real, and PAYG was used only after the PTU refused.
        assert by_backend[PAYGO_DEPLOYMENT] > by_backend[PTU_DEPLOYMENT]
        spilled = [s for s in results if s.backend == PAYGO_DEPLOYMENT]
        assert any(s.attempts == 2 for s in spilled)
        stats = (await _stats(simulator_url))["deployments"]
        assert stats[PTU_DEPLOYMENT]["throttled"] >= 1
        assert stats[PAYGO_DEPLOYMENT]["throttled"] == 0


async def test_when_both_are_exhausted_the_client_gets_the_soonest_retry_after() -> None:
    config = shortened(
        embedded_simulator_config(),
        **{
            PTU_DEPLOYMENT: {"capacity_tpm": 600},
            PAYGO_DEPLOYMENT: {"tpm": None, "rpm": 3, "window_seconds": 60.0},
        },
    )
    async with running(config) as (_, url, gateway):
        async with aiohttp.ClientSession() as http:
            for _ in range(20):
                async with http.post(f"{url}/v1/chat/completions", json=CHAT) as response:
                    body = await response.json()
                    if response.status == 429:
                        break
                    assert response.status == 200
            else:
                pytest.fail("the deployments never ran out of capacity")
            error = body["error"]
            retry_ms = int(response.headers["retry-after-ms"])
            retry_s = int(response.headers["Retry-After"])
        pool = gateway.router.pools()[MODEL]
        cooling = {state.name: state.cooling_for_s for state in pool.state()}
        assert all(seconds > 0 for seconds in cooling.values()), cooling
        soonest_ms = min(cooling.values()) * 1000
        # The answer was computed just before we looked: at most a little longer than now.
        assert soonest_ms <= retry_ms <= soonest_ms + 250, (retry_ms, cooling)
        assert retry_s == max(1, -(-retry_ms // 1000))
        assert error["code"] == "rate_limit_exceeded"
        # The PTU recovers first (2 s window) while PAYG's RPM window is a minute long.
        assert cooling[PTU_DEPLOYMENT] < cooling[PAYGO_DEPLOYMENT]


async def test_scripted_429s_everywhere_answer_with_the_backends_retry_time() -> None:
    async with (
        running(shortened(embedded_simulator_config())) as (_, url, _gateway),
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/v1/chat/completions",
            json=CHAT,
            headers={"x-sim-status": "429", "x-sim-retry-after-ms": "2500"},
        ) as response,
    ):
        assert response.status == 429
        assert response.headers["x-sluicegate-attempts"] == "2"
        assert response.headers["Retry-After"] == "3"
        assert 2300 <= int(response.headers["retry-after-ms"]) <= 2500


async def _stats(url: str) -> dict:  # type: ignore[type-arg]
    async with aiohttp.ClientSession() as http, http.get(f"{url}/sim/stats") as response:
        return await response.json()  # type: ignore[no-any-return]
