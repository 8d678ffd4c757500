"""PTU capacity and PAYG limits seen over HTTP, with the server's clock driven by the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from sluicegate.config.simulator import CompletionSettings, SimDeployment, SimulatorConfig
from sluicegate.simulator import SimulatorServer

pytestmark = pytest.mark.e2e

# 11 prompt tokens by the calibrated estimate: 3 for the reply + 3 for the message + 1 for
# "user" (4 x 0.2196 = 0.88) + 4 for 16 letters (16 x 0.2196 = 3.51); and 10 completion tokens.
CHAT = {"messages": [{"role": "user", "content": "abcdefghijklmnop"}], "max_tokens": 10}
COST = 21
API = "?api-version=2024-10-21"


class Clock:
    def __init__(self) -> None:
        self.t = 5000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def url(clock: Clock) -> AsyncIterator[str]:
    fixed = CompletionSettings(mean_tokens=50, spread=0)
    config = SimulatorConfig(
        port=0,
        deployments=[
            # 50 tokens per minute: two requests of 21 fit, a third does not.
            SimDeployment(name="ptu", kind="ptu", capacity_tpm=50, completion=fixed),
            SimDeployment(name="payg", tpm=1000, rpm=2, completion=fixed),
        ],
    )
    async with SimulatorServer(config, now=clock) as base:
        yield base


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _chat(
    http: aiohttp.ClientSession, url: str, deployment: str, **headers: str
) -> tuple[int, Any, Any]:
    async with http.post(
        f"{url}/openai/deployments/{deployment}/chat/completions{API}",
        data=orjson.dumps(CHAT),
        headers=headers,
    ) as response:
        return response.status, response.headers.copy(), orjson.loads(await response.read())


async def _stats(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(f"{url}/sim/stats") as response:
        assert response.status == 200
        stats: dict[str, Any] = orjson.loads(await response.read())["deployments"]
        return stats


async def test_ptu_reports_utilization_then_throttles_like_azure(
    url: str, http: aiohttp.ClientSession, clock: Clock
) -> None:
    status, headers, body = await _chat(http, url, "ptu")
    assert status == 200
    assert body["usage"]["total_tokens"] == COST
    assert headers["azure-openai-deployment-utilization"] == "42.0%"
    clock.t += 12
    status, headers, _ = await _chat(http, url, "ptu")
    assert status == 200
    assert headers["azure-openai-deployment-utilization"] == "84.0%"
    clock.t += 3
    status, headers, body = await _chat(http, url, "ptu")
    assert status == 429
    # The first request leaves the window 60 s after it came, 45 s from now.
    assert headers["retry-after-ms"] == "45000"
    assert headers["Retry-After"] == "45"
    assert headers["azure-openai-deployment-utilization"] == "84.0%"
    assert headers["apim-request-id"]
    assert body["error"]["code"] == "429"
    assert "retry after 45 seconds" in body["error"]["message"]
    clock.t += 45
    status, headers, _ = await _chat(http, url, "ptu")
    assert status == 200
    assert headers["azure-openai-deployment-utilization"] == "84.0%"


async def test_payg_sends_ratelimit_headers_and_throttles_on_rpm(
    url: str, http: aiohttp.ClientSession, clock: Clock
) -> None:
    status, headers, _ = await _chat(http, url, "payg")
    assert status == 200
    assert headers["x-ratelimit-limit-requests"] == "2"
    assert headers["x-ratelimit-remaining-requests"] == "1"
    assert headers["x-ratelimit-limit-tokens"] == "1000"
    assert headers["x-ratelimit-remaining-tokens"] == str(1000 - COST)
    assert "azure-openai-deployment-utilization" not in headers
    clock.t += 30.5
    await _chat(http, url, "payg")
    status, headers, body = await _chat(http, url, "payg")
    assert status == 429
    assert headers["retry-after-ms"] == "29500"
    assert headers["Retry-After"] == "30"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert body["error"]["type"] == "requests"


async def test_forced_429_carries_raw_retry_headers(url: str, http: aiohttp.ClientSession) -> None:
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    status, headers, body = await _chat(
        http, url, "payg", **{"x-sim-status": "429", "x-sim-retry-after": date}
    )
    assert status == 429
    assert headers["Retry-After"] == date
    assert "retry-after-ms" not in headers
    assert body["error"]["code"] == "429"
    status, headers, _ = await _chat(
        http, url, "payg", **{"x-sim-status": "429", "x-sim-retry-after": "0.25"}
    )
    assert headers["Retry-After"] == "0.25"
    status, headers, _ = await _chat(http, url, "payg", **{"x-sim-status": "429"})
    assert "Retry-After" not in headers
    assert "retry-after-ms" not in headers
    # A capacity 429 can have its headers replaced too.
    status, headers, _ = await _chat(http, url, "ptu")
    await _chat(http, url, "ptu")
    status, headers, _ = await _chat(http, url, "ptu", **{"x-sim-retry-after-ms": "1"})
    assert status == 429
    assert headers["retry-after-ms"] == "1"
    assert headers["Retry-After"] == "60"


async def test_stats_count_and_reset_clears(
    url: str, http: aiohttp.ClientSession, clock: Clock
) -> None:
    for _ in range(3):
        await _chat(http, url, "ptu")
    await _chat(http, url, "ptu", **{"x-sim-status": "503"})
    await _chat(http, url, "payg", **{"x-sim-fault": "error"})
    stats = await _stats(http, url)
    ptu, payg = stats["ptu"], stats["payg"]
    assert (ptu["requests"], ptu["throttled"], ptu["errors"]) == (2, 1, 1)
    assert ptu["prompt_tokens"] == 22
    assert ptu["completion_tokens"] == 20
    assert ptu["utilization"] == pytest.approx(0.84)
    assert ptu["kind"] == "ptu"
    assert (payg["requests"], payg["errors"]) == (0, 1)
    async with http.post(f"{url}/sim/reset") as response:
        assert response.status == 200
    stats = await _stats(http, url)
    assert stats["ptu"]["requests"] == 0
    assert stats["ptu"]["utilization"] == 0
    status, _, _ = await _chat(http, url, "ptu")
    assert status == 200
