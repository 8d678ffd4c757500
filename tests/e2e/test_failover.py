"""Failover on real sockets: a backend that resets connections and one that answers 500."""

from __future__ import annotations

import pytest
from tests.e2e.support import MODEL, StackFactory, sim_deployment

pytestmark = pytest.mark.e2e

CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}


async def test_resets_and_500s_fail_over_to_the_healthy_backend(start_stack: StackFactory) -> None:
    stack = await start_stack(
        [
            sim_deployment("resetter", faults={"reset_rate": 1.0}),
            sim_deployment("broken", faults={"error_rate": 1.0}),
            sim_deployment("healthy"),
        ],
        priorities={"resetter": 1, "broken": 2, "healthy": 3},
        routing={"failure_cooldown_seconds": 30},
    )
    url = f"{stack.gateway_url}/v1/chat/completions"
    async with stack.http.post(url, json=CHAT) as response:
        assert response.status == 200, await response.text()
        assert response.headers["x-sluicegate-backend"] == "healthy"
        assert response.headers["x-sluicegate-attempts"] == "3"
    # The failed members cool down: later requests go straight to the healthy one.
    for _ in range(5):
        async with stack.http.post(url, json=CHAT) as response:
            assert response.status == 200
            assert response.headers["x-sluicegate-attempts"] == "1", (
                await response.text(),
                dict(response.headers),
            )
            assert response.headers["x-sluicegate-backend"] == "healthy"
    stats = (await stack.sim_stats())["deployments"]
    # A connection closed before any reply byte is retried once on a fresh connection (it is
    # how a keep-alive race looks), so the resetting backend saw two connections, not one.
    assert stats["resetter"]["resets"] == 2
    assert stats["broken"]["errors"] == 1
    assert stats["healthy"]["requests"] == 6
    async with stack.http.get(f"{stack.gateway_url}/readyz") as response:
        assert response.status == 200


async def test_streams_fail_over_before_the_first_byte(start_stack: StackFactory) -> None:
    stack = await start_stack(
        [sim_deployment("hanging", faults={"hang_rate": 1.0}), sim_deployment("healthy")],
        routing={"first_byte_timeout_seconds": 0.3},
    )
    async with stack.http.post(
        f"{stack.gateway_url}/v1/chat/completions", json={**CHAT, "stream": True}
    ) as response:
        body = await response.read()
    assert response.status == 200
    assert response.headers["x-sluicegate-backend"] == "healthy"
    assert response.headers["x-sluicegate-attempts"] == "2"
    assert body.endswith(b"data: [DONE]\n\n")


async def test_a_stream_that_drops_midway_is_not_retried(start_stack: StackFactory) -> None:
    stack = await start_stack([sim_deployment("a"), sim_deployment("b")])
    async with stack.http.post(
        f"{stack.gateway_url}/v1/chat/completions",
        json={**CHAT, "stream": True, "max_tokens": 50},
        headers={
            "x-sim-fault": "drop",
            "x-sim-drop-after": "3",
            "x-sim-completion-tokens": "50",
            "x-sim-tokens-per-second": "1000",
        },
    ) as response:
        body = await response.read()
    assert response.status == 200
    assert response.headers["x-sluicegate-attempts"] == "1"
    # The client sees what arrived, then an error event instead of [DONE].
    assert b'"error"' in body
    assert b"upstream_protocol_error" in body
    assert b"[DONE]" not in body
    stats = (await stack.sim_stats())["deployments"]
    assert stats["a"]["drops"] + stats["b"]["drops"] == 1
    assert stats["a"]["requests"] + stats["b"]["requests"] == 0


async def test_all_members_cooling_is_not_ready(start_stack: StackFactory) -> None:
    stack = await start_stack(
        [sim_deployment("only", faults={"error_rate": 1.0})],
        routing={"failure_cooldown_seconds": 60},
    )
    async with stack.http.post(f"{stack.gateway_url}/v1/chat/completions", json=CHAT) as response:
        assert response.status == 502
    async with stack.http.get(f"{stack.gateway_url}/readyz") as response:
        assert response.status == 503
        assert (await response.json())["status"] == "unavailable"
    async with stack.http.get(f"{stack.gateway_url}/healthz") as response:
        assert response.status == 200
        assert response.headers["apim-request-id"] == response.headers["x-request-id"]
    # While it cools, the gateway answers 429 itself without calling the backend.
    async with stack.http.post(f"{stack.gateway_url}/v1/chat/completions", json=CHAT) as response:
        assert response.status == 429
        assert 59 <= int(response.headers["Retry-After"]) <= 60
    assert (await stack.sim_stats())["deployments"]["only"]["errors"] == 1
