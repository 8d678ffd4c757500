"""Request capture through a real gateway, with the official `openai` SDK, real sockets, the
simulator and a real SQLite ledger: off by default, per route when on, exactly the text the
client received, and the prompt as the safety layer redacted it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest
from aiohttp import web
from tests.e2e.support import MODEL, config_data, served

from sluicegate.config.settings import GatewayConfig
from sluicegate.core.capture import StoredCapture
from sluicegate.server.app import create_gateway
from sluicegate.server.runner import Serving, start_serving
from sluicegate.stores.sql import SqlStores
from sluicegate.stores.sql.captures import SqlCaptureStore

pytestmark = pytest.mark.e2e

OTHER = "other-route"
PII_PROFILE = {
    "profiles": {"default": {"pii": {"action": "redact", "redact_with": "hash"}}},
    "hash_salt": "test-salt",
}
PROMPT_WITH_PII = "Email jane.doe@example.com about card 4111 1111 1111 1111, please."


@dataclass
class Running:
    url: str
    serving: Serving
    database_url: str
    stack: AsyncExitStack
    stopped: bool = False

    def openai(self) -> openai.AsyncOpenAI:
        sdk = openai.AsyncOpenAI(base_url=f"{self.url}/v1", api_key="unused", max_retries=0)
        self.stack.push_async_callback(sdk.close)
        return sdk

    async def stop(self) -> None:
        """Stop the gateway: its ledger writer writes everything spooled first."""
        if not self.stopped:
            self.stopped = True
            await self.serving.stop()

    async def captures(self, request_ids: list[str]) -> tuple[int, int, dict[str, StoredCapture]]:
        """(usage records, captures, the captures of these requests) in the database."""
        stores = SqlStores.create(self.database_url)
        try:
            store = SqlCaptureStore(stores.database)
            return (
                await stores.ledger.count(),
                await store.count(),
                await store.get_many(request_ids),
            )
        finally:
            await stores.close()


Start = Callable[..., Awaitable[Running]]


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Start]:
    async with AsyncExitStack() as stack:

        async def start_gateway(
            capture: dict[str, Any] | None = None,
            *,
            safety: dict[str, Any] | None = None,
            upstream: str | None = None,
        ) -> Running:
            data, _ = await config_data(stack, upstream)
            data["models"][OTHER] = {"pool": MODEL}
            data["ledger"] = {"enabled": True, "spool_dir": str(tmp_path / "spool")}
            data["database_url"] = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
            data["safety"] = safety if safety is not None else {"default_profile": "off"}
            if capture is not None:
                data["capture"] = capture
            gateway = create_gateway(GatewayConfig.model_validate(data))
            serving = await start_serving(gateway.app, "127.0.0.1", 0, grace=0.5)
            running = Running(serving.url, serving, data["database_url"], stack)
            stack.push_async_callback(running.stop)
            return running

        yield start_gateway


async def chat(client: openai.AsyncOpenAI, model: str, **options: Any) -> tuple[str, str]:
    """(request id, the reply's text as the client received it), non-streamed."""
    raw = await client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": "Tell me about rivers."}], **options
    )
    reply = raw.parse()
    return raw.headers["x-request-id"], reply.choices[0].message.content or ""


async def stream_chat(client: openai.AsyncOpenAI, model: str, **options: Any) -> tuple[str, str]:
    """(request id, the concatenated deltas the client received), streamed."""
    raw = await client.chat.completions.with_raw_response.create(
        model=model,
        messages=[{"role": "user", "content": "Tell me about lakes."}],
        stream=True,
        **options,
    )
    text = ""
    async for chunk in raw.parse():
        for choice in chunk.choices:
            text += choice.delta.content or ""
    return raw.headers["x-request-id"], text


def message_of(stored: StoredCapture) -> dict[str, Any]:
    assert stored.capture.response is not None
    choices = orjson.loads(stored.capture.response)["choices"]
    assert len(choices) == 1
    message: dict[str, Any] = choices[0]["message"]
    return message


async def test_capture_is_off_by_default(start: Start) -> None:
    running = await start()
    client = running.openai()
    ids = [(await chat(client, MODEL))[0], (await stream_chat(client, MODEL))[0]]
    await running.stop()
    records, captures, found = await running.captures(ids)
    assert records == 2
    assert captures == 0
    assert found == {}


async def test_one_route_is_captured_exactly_as_the_client_received_it(start: Start) -> None:
    running = await start({"enabled": True, "routes": [MODEL]})
    client = running.openai()
    plain_id, plain_text = await chat(client, MODEL, max_tokens=20)
    stream_id, stream_text = await stream_chat(client, MODEL, max_tokens=30)
    other_id, _ = await chat(client, OTHER)
    other_stream_id, _ = await stream_chat(client, OTHER)
    await running.stop()
    records, captures, found = await running.captures(
        [plain_id, stream_id, other_id, other_stream_id]
    )
    assert (records, captures) == (4, 2)
    assert set(found) == {plain_id, stream_id}

    plain = found[plain_id]
    assert plain_text
    assert message_of(plain) == {"role": "assistant", "content": plain_text}
    request = orjson.loads(plain.capture.request)
    assert request["messages"] == [{"role": "user", "content": "Tell me about rivers."}]
    assert request["max_tokens"] == 20
    assert (plain.route, plain.subject) == (MODEL, "anonymous")
    assert not plain.capture.request_truncated
    assert not plain.capture.response_truncated

    streamed = found[stream_id]
    assert stream_text
    assert message_of(streamed)["content"] == stream_text
    assert orjson.loads(streamed.capture.response or "")["choices"][0]["finish_reason"]
    assert orjson.loads(streamed.capture.request)["stream"] is True


async def test_a_long_reply_is_cut_at_max_chars(start: Start) -> None:
    running = await start({"enabled": True, "max_chars": 256})
    client = running.openai()
    request_id, text = await stream_chat(client, MODEL, max_tokens=400)
    await running.stop()
    _, _, found = await running.captures([request_id])
    stored = found[request_id]
    assert len(text) > 256
    assert stored.capture.response_truncated
    assert message_of(stored)["content"] == text[:256]


async def test_the_stored_prompt_and_reply_are_the_redacted_ones(start: Start) -> None:
    running = await start({"enabled": True}, safety=PII_PROFILE)
    client = running.openai()
    reply_with_pii = "Sure, I will write to bob.smith@example.org about it today."
    raw = await client.chat.completions.with_raw_response.create(
        model=MODEL,
        messages=[{"role": "user", "content": PROMPT_WITH_PII}],
        extra_headers={"x-sim-reply": reply_with_pii},
    )
    plain_id, plain_text = raw.headers["x-request-id"], raw.parse().choices[0].message.content
    stream_id, stream_text = await stream_chat(
        client,
        MODEL,
        extra_headers={"x-sim-reply": reply_with_pii, "x-sim-tokens-per-second": "2000"},
    )
    await running.stop()
    _, _, found = await running.captures([plain_id, stream_id])

    prompt = orjson.loads(found[plain_id].capture.request)["messages"][0]["content"]
    assert "jane.doe@example.com" not in found[plain_id].capture.request
    assert "4111" not in found[plain_id].capture.request
    assert prompt.startswith("Email [EMAIL:")
    assert "[CREDIT_CARD:" in prompt
    for request_id, text in ((plain_id, plain_text), (stream_id, stream_text)):
        assert text is not None
        assert "bob.smith@example.org" not in text
        assert "[EMAIL:" in text
        assert message_of(found[request_id])["content"] == text
        assert "bob.smith@example.org" not in (found[request_id].capture.response or "")


async def test_a_blocked_prompt_is_not_captured(start: Start) -> None:
    running = await start(
        {"enabled": True}, safety={"profiles": {"default": {"pii": {"action": "block"}}}}
    )
    with pytest.raises(openai.BadRequestError) as refused:
        await running.openai().chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": PROMPT_WITH_PII}]
        )
    request_id = refused.value.response.headers["x-request-id"]
    await running.stop()
    records, captures, found = await running.captures([request_id])
    assert (records, captures, found) == (1, 0, {})


class Recorder:
    """An OpenAI-compatible upstream that answers every chat with a tool call."""

    async def handle(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "id": "chatcmpl-rec",
                "object": "chat.completion",
                "created": 1,
                "model": MODEL,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "tool_calls",
                        "message": {
                            "role": "assistant",
                            "content": None,
                            "tool_calls": [
                                {
                                    "id": "call_1",
                                    "type": "function",
                                    "function": {"name": "weather", "arguments": '{"city":"Oslo"}'},
                                }
                            ],
                        },
                    }
                ],
                "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14},
            }
        )


@pytest.fixture
async def tool_upstream() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/chat/completions", Recorder().handle)
    async with served(app) as url:
        yield url


async def test_tool_calls_are_captured(start: Start, tool_upstream: str) -> None:
    running = await start({"enabled": True}, upstream=tool_upstream)
    raw = await running.openai().chat.completions.with_raw_response.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather in Oslo?"}],
        tools=[{"type": "function", "function": {"name": "weather", "parameters": {}}}],
    )
    request_id = raw.headers["x-request-id"]
    call = raw.parse().choices[0].message.tool_calls[0]  # type: ignore[index]
    await running.stop()
    _, _, found = await running.captures([request_id])
    (stored,) = message_of(found[request_id])["tool_calls"]
    assert stored["function"] == {"name": call.function.name, "arguments": call.function.arguments}
    assert stored["id"] == call.id
