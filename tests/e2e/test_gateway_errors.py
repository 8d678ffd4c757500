"""Bad input and failing backends get OpenAI-shaped errors with the right status."""

from __future__ import annotations

import pytest
from tests.e2e.support import MODEL, StackFactory, sim_deployment

pytestmark = pytest.mark.e2e

CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}


async def assert_error(response, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status == status, await response.text()
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["apim-request-id"] == response.headers["x-request-id"]
    body = await response.json()
    error = body["error"]
    assert set(error) >= {"message", "type", "param", "code"}
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


async def test_malformed_json_is_400(start_stack: StackFactory) -> None:
    stack = await start_stack()
    async with stack.http.post(
        f"{stack.gateway_url}/v1/chat/completions",
        data=b'{"model": "gpt-4o", "messages": [',
        headers={"Content-Type": "application/json"},
    ) as response:
        error = await assert_error(response, 400)
    assert error["type"] == "invalid_request_error"
    assert "not valid JSON" in error["message"]


async def test_schema_error_names_the_parameter(start_stack: StackFactory) -> None:
    stack = await start_stack()
    async with stack.http.post(
        f"{stack.gateway_url}/v1/chat/completions", json={"model": MODEL, "messages": "hi"}
    ) as response:
        error = await assert_error(response, 400)
    assert error["param"] == "messages"


async def test_unknown_model_and_deployment_are_404(start_stack: StackFactory) -> None:
    stack = await start_stack()
    async with stack.http.post(
        f"{stack.gateway_url}/v1/chat/completions", json={**CHAT, "model": "no-such-model"}
    ) as response:
        error = await assert_error(response, 404, "model_not_found")
    assert "no-such-model" in error["message"]
    async with stack.http.post(
        f"{stack.gateway_url}/openai/deployments/nope/chat/completions?api-version=2024-10-21",
        json={"messages": CHAT["messages"]},
    ) as response:
        await assert_error(response, 404, "model_not_found")


async def test_unknown_path_and_wrong_method(start_stack: StackFactory) -> None:
    stack = await start_stack()
    async with stack.http.get(f"{stack.gateway_url}/v2/everything") as response:
        await assert_error(response, 404, "not_found")
    async with stack.http.get(f"{stack.gateway_url}/v1/chat/completions") as response:
        await assert_error(response, 405, "method_not_allowed")


async def test_body_over_the_limit_is_413(start_stack: StackFactory) -> None:
    stack = await start_stack(server={"max_body_bytes": 4096})
    big = {**CHAT, "messages": [{"role": "user", "content": "x" * 10_000}]}
    async with stack.http.post(f"{stack.gateway_url}/v1/chat/completions", json=big) as response:
        error = await assert_error(response, 413, "request_too_large")
    assert "4096" in error["message"]


async def test_body_over_the_limit_without_content_length_is_413(start_stack: StackFactory) -> None:
    stack = await start_stack(server={"max_body_bytes": 4096})

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * 1000

    async with stack.http.post(
        f"{stack.gateway_url}/v1/chat/completions", data=chunks()
    ) as response:
        await assert_error(response, 413, "request_too_large")


async def test_upstream_timeout_is_504(start_stack: StackFactory) -> None:
    stack = await start_stack(
        [sim_deployment("slow", faults={"hang_rate": 1.0})],
        routing={"first_byte_timeout_seconds": 0.3, "max_attempts": 1},
    )
    async with stack.http.post(f"{stack.gateway_url}/v1/chat/completions", json=CHAT) as response:
        error = await assert_error(response, 504)
    assert error["code"] == "upstream_timeout"
    assert response.headers["x-sluicegate-attempts"] == "1"


async def test_all_backends_failed_is_502_with_a_summary_and_no_secrets(
    start_stack: StackFactory,
) -> None:
    stack = await start_stack(
        [
            sim_deployment("first", faults={"error_rate": 1.0}),
            sim_deployment("second", faults={"reset_rate": 1.0}),
        ]
    )
    async with stack.http.post(f"{stack.gateway_url}/v1/chat/completions", json=CHAT) as response:
        error = await assert_error(response, 502, "all_backends_failed")
        text = await response.text()
    attempts = {attempt["backend"]: attempt for attempt in error["attempts"]}
    assert attempts["first"]["status"] == 500
    assert attempts["second"]["status"] is None
    assert attempts["second"]["error"] == "upstream_connect_error"
    assert response.headers["x-sluicegate-attempts"] == "2"
    assert "backend-secret" not in text
    assert stack.simulator_url.split("//")[1] not in text


async def test_client_errors_from_the_backend_pass_through(start_stack: StackFactory) -> None:
    stack = await start_stack([sim_deployment("a"), sim_deployment("b")])
    async with stack.http.post(
        f"{stack.gateway_url}/v1/chat/completions", json=CHAT, headers={"x-sim-status": "422"}
    ) as response:
        assert response.status == 422
        assert response.headers["x-sluicegate-attempts"] == "1"
    stats = await stack.sim_stats()
    assert stats is not None
