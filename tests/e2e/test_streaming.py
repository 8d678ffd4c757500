"""Streams pass through as they arrive, and a client that leaves cancels the upstream call.

Each test runs with the safety policy off (the relay alone) and with the default profile, whose
output check holds back only the last `hold_back_chars` (32) of the text received: the first
frame here is long enough for its start to be released at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from sluicegate.config.settings import GatewayConfig
from sluicegate.server.app import create_gateway
from sluicegate.server.runner import Serving, start_serving

pytestmark = pytest.mark.e2e

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
FIRST = "first, and then enough words to fill the hold-back window of the output check"


def frame(text: str) -> bytes:
    return (
        b'data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"'
        + text.encode()
        + b'"},"finish_reason":null}]}\n\n'
    )


@dataclass
class ScriptedUpstream:
    """An OpenAI-style upstream whose stream moves only when the test says so."""

    release_second: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    bodies: list[dict[str, object]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.json())
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        try:
            await response.write(frame(FIRST))
            await self.release_second.wait()
            await response.write(frame("second"))
            await response.write(
                b'data: {"object":"chat.completion.chunk","choices":[],'
                b'"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n'
            )
            await response.write(b"data: [DONE]\n\n")
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return response


@pytest.fixture(params=["off", "default"])
async def scripted(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[ScriptedUpstream, Serving]]:
    upstream = ScriptedUpstream()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", upstream.handle)
    upstream_serving = await start_serving(app, "127.0.0.1", 0, grace=0.5)
    config = GatewayConfig.model_validate(
        {
            "backends": [{"name": "scripted", "url": f"{upstream_serving.url}/v1"}],
            "pools": {"p": {"members": [{"backend": "scripted"}]}},
            "models": {"*": {"pool": "p"}},
            "auth": {"enabled": False},
            "ledger": {"enabled": False},
            "safety": {"default_profile": request.param},
        }
    )
    gateway = await start_serving(create_gateway(config).app, "127.0.0.1", 0, grace=0.5)
    yield upstream, gateway
    await gateway.stop()
    await upstream_serving.stop()


async def test_first_frame_reaches_the_client_before_upstream_sends_the_next(
    scripted: tuple[ScriptedUpstream, Serving],
) -> None:
    upstream, gateway = scripted
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{gateway.url}/v1/chat/completions", json=CHAT) as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        # If the gateway buffered, this would wait forever: upstream holds frame two back
        # until we have seen frame one.
        first = await asyncio.wait_for(response.content.readuntil(b"\n\n"), timeout=5)
        assert b"first" in first
        upstream.release_second.set()
        rest = await asyncio.wait_for(response.content.read(), timeout=5)
    assert b"second" in rest
    assert rest.endswith(b"data: [DONE]\n\n")
    # The gateway asked for usage upstream and removed it for this client.
    assert upstream.bodies[0]["stream_options"] == {"include_usage": True}
    assert b"usage" not in rest


async def test_client_disconnect_cancels_the_upstream_request(
    scripted: tuple[ScriptedUpstream, Serving],
) -> None:
    upstream, gateway = scripted
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{gateway.url}/v1/chat/completions", json=CHAT)
        await asyncio.wait_for(response.content.readuntil(b"\n\n"), timeout=5)
        response.close()  # the client goes away mid-stream
    await asyncio.wait_for(upstream.cancelled.wait(), timeout=5)
    assert not upstream.release_second.is_set()
