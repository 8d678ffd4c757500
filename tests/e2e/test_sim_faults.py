"""Injected faults and x-sim-* overrides, observed the way a client sees them."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from sluicegate.config.simulator import FaultSettings, SimDeployment, SimulatorConfig
from sluicegate.simulator import SimulatorServer
from sluicegate.wire.sse import DONE, FrameSplitter, event_data

pytestmark = pytest.mark.e2e

CHAT = {"messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture
async def url() -> AsyncIterator[str]:
    config = SimulatorConfig(
        port=0,
        seed=3,
        deployments=[
            SimDeployment(name="clean"),
            SimDeployment(name="broken", faults=FaultSettings(error_rate=1.0)),
            SimDeployment(name="flaky", faults=FaultSettings(reset_rate=0.5, drop_rate=0.5)),
        ],
    )
    async with SimulatorServer(config) as base:
        yield base


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _body(model: str = "clean", **extra: Any) -> bytes:
    return orjson.dumps({"model": model, **CHAT, **extra})


async def _stats(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(f"{url}/sim/stats") as response:
        stats: dict[str, Any] = orjson.loads(await response.read())["deployments"]
        return stats


async def _collect_events(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], events: list[bytes]
) -> None:
    """Stream a chat reply into `events` as frames arrive, so they survive a broken stream."""
    splitter = FrameSplitter()
    async with http.post(url, data=_body(stream=True), headers=headers) as response:
        assert response.status == 200
        async for chunk in response.content.iter_any():
            events.extend(splitter.feed(chunk))


async def test_error_fault_is_a_500_with_error_json(url: str, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{url}/v1/chat/completions", data=_body(), headers={"x-sim-fault": "error"}
    ) as response:
        assert response.status == 500
        assert response.headers["x-request-id"]
        body = orjson.loads(await response.read())
    assert body["error"]["type"] == "server_error"


async def test_configured_error_rate_applies_to_every_request(
    url: str, http: aiohttp.ClientSession
) -> None:
    for _ in range(3):
        async with http.post(f"{url}/v1/chat/completions", data=_body("broken")) as response:
            assert response.status == 500
    assert (await _stats(http, url))["broken"]["errors"] == 3


async def test_reset_closes_the_connection_without_a_reply(
    url: str, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with http.post(
            f"{url}/v1/chat/completions", data=_body(), headers={"x-sim-fault": "reset"}
        ) as response:
            await response.read()
    assert (await _stats(http, url))["clean"]["resets"] == 1


async def test_drop_cuts_a_stream_after_the_given_chunks(
    url: str, http: aiohttp.ClientSession
) -> None:
    headers = {
        "x-sim-fault": "drop",
        "x-sim-drop-after": "3",
        "x-sim-completion-tokens": "50",
        "x-sim-tokens-per-second": "1000",
    }
    events: list[bytes] = []
    with pytest.raises(aiohttp.ClientPayloadError):
        await _collect_events(http, f"{url}/v1/chat/completions", headers, events)
    payloads = [event_data(event) for event in events]
    assert len(payloads) == 3
    assert DONE not in payloads
    stats = (await _stats(http, url))["clean"]
    assert (stats["drops"], stats["requests"]) == (1, 0)


async def test_drop_without_stream_breaks_the_connection(
    url: str, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.post(
            f"{url}/v1/chat/completions", data=_body(), headers={"x-sim-fault": "drop"}
        ) as response:
            await response.read()


async def test_configured_reset_and_drop_rates_fail_every_request(
    url: str, http: aiohttp.ClientSession
) -> None:
    for _ in range(6):
        with pytest.raises(aiohttp.ClientConnectionError):
            async with http.post(f"{url}/v1/chat/completions", data=_body("flaky")) as response:
                await response.read()
    stats = (await _stats(http, url))["flaky"]
    assert stats["resets"] + stats["drops"] == 6
    assert stats["requests"] == 0


async def test_hang_never_answers_until_the_client_gives_up(
    url: str, http: aiohttp.ClientSession
) -> None:
    timeout = aiohttp.ClientTimeout(total=0.3)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with http.post(
            f"{url}/v1/chat/completions",
            data=_body(),
            headers={"x-sim-fault": "hang"},
            timeout=timeout,
        ) as response:
            await response.read()
    assert time.monotonic() - started >= 0.3
    assert (await _stats(http, url))["clean"]["hangs"] == 1


async def test_forced_status_answers_with_an_error_body(
    url: str, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{url}/v1/chat/completions", data=_body(), headers={"x-sim-status": "503"}
    ) as response:
        assert response.status == 503
        body = orjson.loads(await response.read())
    assert body["error"]["code"] == "503"
    assert "x-sim-status" in body["error"]["message"]


async def test_bad_override_is_a_400_naming_the_header(
    url: str, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{url}/v1/chat/completions", data=_body(), headers={"x-sim-fault": "boom"}
    ) as response:
        assert response.status == 400
        body = orjson.loads(await response.read())
    assert body["error"]["param"] == "x-sim-fault"


async def test_completion_tokens_override(url: str, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{url}/v1/chat/completions", data=_body(), headers={"x-sim-completion-tokens": "7"}
    ) as response:
        body = orjson.loads(await response.read())
    assert body["usage"]["completion_tokens"] == 7
    assert len(body["choices"][0]["message"]["content"].split()) == 7


async def test_ttft_override_delays_the_reply(url: str, http: aiohttp.ClientSession) -> None:
    started = time.monotonic()
    async with http.post(
        f"{url}/v1/chat/completions",
        data=_body(stream=True),
        headers={"x-sim-ttft-ms": "150"},
    ) as response:
        first_byte = await response.content.readany()
        waited = time.monotonic() - started
        await response.read()
    assert first_byte.startswith(b"data: ")
    assert waited >= 0.15


async def test_tokens_per_second_override_paces_the_stream(
    url: str, http: aiohttp.ClientSession
) -> None:
    headers = {"x-sim-tokens-per-second": "100", "x-sim-completion-tokens": "21"}
    events: list[bytes] = []
    started = time.monotonic()
    await _collect_events(http, f"{url}/v1/chat/completions", headers, events)
    elapsed = time.monotonic() - started
    # Role frame, one frame per token, finish frame, [DONE].
    assert len(events) == 1 + 21 + 1 + 1
    assert elapsed >= 20 / 100


async def test_client_leaving_mid_stream_is_not_counted_as_served(
    url: str, http: aiohttp.ClientSession
) -> None:
    headers = {"x-sim-tokens-per-second": "20", "x-sim-completion-tokens": "200"}
    async with http.post(
        f"{url}/v1/chat/completions", data=_body(stream=True), headers=headers
    ) as response:
        await response.content.readany()
        response.close()
    # The simulator still serves others while the abandoned stream winds down.
    async with http.post(f"{url}/v1/chat/completions", data=_body()) as response:
        assert response.status == 200
    stats = (await _stats(http, url))["clean"]
    assert stats["requests"] == 1
