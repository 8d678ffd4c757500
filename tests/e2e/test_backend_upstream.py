"""The HTTP backend against a real aiohttp server on 127.0.0.1: URL shapes, credentials,
body rewrite, error statuses, and streamed replies."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from aiohttp import web

from sluicegate.backends.credentials import UpstreamCredentialsError, credentials_for
from sluicegate.backends.http import HttpBackend
from sluicegate.config.settings import BackendSettings, RoutingSettings
from sluicegate.core.clock import SystemClock
from sluicegate.core.exchange import Exchange
from sluicegate.core.reply import Reply
from sluicegate.wire.endpoints import Endpoint

pytestmark = pytest.mark.e2e

CLIENT_HEADERS = {
    "Authorization": "Bearer client-secret",
    "api-key": "client-key",
    "X-Api-Key": "client-key",
    "Cookie": "session=client",
    "Ocp-Apim-Subscription-Key": "client-apim",
    "Accept-Encoding": "gzip, br",
    "User-Agent": "OpenAI/Python test",
    "X-Stainless-Lang": "python",
}
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    peer_port: int


@dataclass
class Upstream:
    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    handler: Handler | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.seen.append(
            Seen(
                path=request.path,
                query=dict(request.query),
                headers={name.lower(): value for name, value in request.headers.items()},
                body=await request.read(),
                peer_port=peer[1] if peer else 0,
            )
        )
        if self.handler is not None:
            return await self.handler(request)
        return web.json_response(
            {"id": "cmpl-1", "object": "chat.completion"},
            headers={
                "x-ratelimit-remaining-tokens": "990",
                "Set-Cookie": "upstream=1",
                "x-request-id": "upstream-id",
                "openai-model": "gpt-4o-2024-08-06",
            },
        )


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    state = Upstream()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    state.url = f"http://{host}:{port}"
    yield state
    await runner.cleanup()


@pytest.fixture
async def backends() -> AsyncIterator[Callable[..., HttpBackend]]:
    made: list[HttpBackend] = []

    def make(**settings: Any) -> HttpBackend:
        backend_settings = BackendSettings.model_validate({"name": "b1", **settings})
        clock = SystemClock()
        backend = HttpBackend(
            backend_settings,
            RoutingSettings(connect_timeout_seconds=2.0, first_byte_timeout_seconds=5.0),
            clock,
            credentials_for(backend_settings.auth, clock),
        )
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.close()


def exchange(
    body: dict[str, Any] | None = None,
    *,
    stream: bool = False,
    headers: dict[str, str] | None = None,
    endpoint: Endpoint = Endpoint.CHAT,
) -> Exchange:
    payload = dict(body or CHAT)
    if stream:
        payload["stream"] = True
    now = SystemClock().now()
    return Exchange(
        request_id="req-123",
        endpoint=endpoint,
        raw=orjson.dumps(payload),
        body=payload,
        model=str(payload.get("model", "")),
        stream=stream,
        include_usage=False,
        client_headers=headers if headers is not None else CLIENT_HEADERS,
        started_at=now,
        deadline=now + 30.0,
    )


def assert_no_client_credentials(seen: Seen) -> None:
    for name in ("cookie", "x-api-key", "ocp-apim-subscription-key"):
        assert name not in seen.headers
    flat = repr(seen.headers)
    assert "client-secret" not in flat
    assert "client-key" not in flat
    assert "client-apim" not in flat


async def test_azure_shape_with_api_key(upstream: Upstream, backends: Any) -> None:
    backend = backends(
        url=upstream.url,
        api="azure",
        deployment="gpt-4o-ptu",
        api_version="2024-10-21",
        auth={"type": "api-key", "key": "backend-key"},
    )
    request = exchange()
    reply = await backend.send(request)

    (seen,) = upstream.seen
    assert seen.path == "/openai/deployments/gpt-4o-ptu/chat/completions"
    assert seen.query == {"api-version": "2024-10-21"}
    assert seen.headers["api-key"] == "backend-key"
    assert "authorization" not in seen.headers
    assert_no_client_credentials(seen)
    assert seen.headers["x-request-id"] == "req-123"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["accept-encoding"] == "identity"
    assert seen.headers["user-agent"] == "OpenAI/Python test"
    assert seen.headers["x-stainless-lang"] == "python"
    assert seen.body == request.raw

    assert reply.status == 200
    assert reply.backend == "b1"
    assert reply.stream is None
    assert orjson.loads(reply.body) == {"id": "cmpl-1", "object": "chat.completion"}
    assert reply.headers == {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-remaining-tokens": "990",
        "openai-model": "gpt-4o-2024-08-06",
    }


async def test_openai_shape_with_bearer(upstream: Upstream, backends: Any) -> None:
    backend = backends(
        url=f"{upstream.url}/v1", api="openai", auth={"type": "bearer", "token": "sk-backend"}
    )
    await backend.send(exchange(endpoint=Endpoint.EMBEDDINGS, body={"input": "x", "model": "e"}))

    (seen,) = upstream.seen
    assert seen.path == "/v1/embeddings"
    assert seen.query == {}
    assert seen.headers["authorization"] == "Bearer sk-backend"
    assert "api-key" not in seen.headers
    assert_no_client_credentials(seen)


async def test_no_auth_backend_sends_no_credentials_at_all(
    upstream: Upstream, backends: Any
) -> None:
    backend = backends(url=f"{upstream.url}/v1")
    await backend.send(exchange())
    (seen,) = upstream.seen
    assert "authorization" not in seen.headers
    assert "api-key" not in seen.headers
    assert_no_client_credentials(seen)


async def test_model_override_rewrites_model_only(upstream: Upstream, backends: Any) -> None:
    backend = backends(url=f"{upstream.url}/v1", model="gpt-4o-2024-08-06")
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "seed": 7}
    await backend.send(exchange(body))
    (seen,) = upstream.seen
    assert orjson.loads(seen.body) == {**body, "model": "gpt-4o-2024-08-06"}


@pytest.mark.parametrize("stream", [False, True])
async def test_429_returned_as_reply_with_retry_headers(
    upstream: Upstream, backends: Any, stream: bool
) -> None:
    async def throttled(request: web.Request) -> web.Response:
        return web.json_response(
            {"error": {"code": "429"}},
            status=429,
            headers={"Retry-After": "2", "retry-after-ms": "1500", "Server": "x"},
        )

    upstream.handler = throttled
    reply = await backends(url=upstream.url).send(exchange(stream=stream))
    assert reply.status == 429
    assert reply.stream is None
    assert orjson.loads(reply.body) == {"error": {"code": "429"}}
    assert reply.headers["retry-after"] == "2"
    assert reply.headers["retry-after-ms"] == "1500"
    assert "server" not in reply.headers


async def test_500_returned_as_reply(upstream: Upstream, backends: Any) -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500, text="upstream broke")

    upstream.handler = broken
    reply = await backends(url=upstream.url).send(exchange(stream=True))
    assert (reply.status, reply.body, reply.stream) == (500, b"upstream broke", None)


async def test_compressed_bytes_pass_through_untouched(upstream: Upstream, backends: Any) -> None:
    packed = gzip.compress(b'{"id":"x"}')

    async def gzipping(request: web.Request) -> web.Response:
        return web.Response(
            body=packed,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    upstream.handler = gzipping
    reply = await backends(url=upstream.url).send(exchange())
    assert reply.body == packed
    assert reply.headers["content-encoding"] == "gzip"


async def test_stream_chunks_arrive_as_sent(upstream: Upstream, backends: Any) -> None:
    second_may_go = asyncio.Event()
    chunks = [b'data: {"n":1}\n\n', b'data: {"n":2}\n\n', b"data: [DONE]\n\n"]

    async def streaming(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(chunks[0])
        await second_may_go.wait()
        await response.write(chunks[1])
        await response.write(chunks[2])
        await response.write_eof()
        return response

    upstream.handler = streaming
    reply = await backends(url=upstream.url).send(exchange(stream=True))
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/event-stream"
    assert reply.stream is not None
    iterator = aiter(reply.stream)
    assert await anext(iterator) == chunks[0]
    assert not second_may_go.is_set(), "the first chunk came before the server sent more"

    second_may_go.set()
    rest = b"".join([chunk async for chunk in iterator])
    assert rest == chunks[1] + chunks[2]
    await reply.stream.aclose()


async def test_finished_stream_hands_connection_back_to_pool(
    upstream: Upstream, backends: Any
) -> None:
    async def streaming(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    upstream.handler = streaming
    backend = backends(url=upstream.url)
    for _ in range(2):
        reply = await backend.send(exchange(stream=True))
        assert reply.stream is not None
        assert b"".join([chunk async for chunk in reply.stream]) == b"data: [DONE]\n\n"
    first, second = upstream.seen
    assert first.peer_port == second.peer_port


async def test_empty_streamed_reply_becomes_empty_body(upstream: Upstream, backends: Any) -> None:
    async def empty(request: web.Request) -> web.Response:
        return web.Response(status=200, body=b"", content_type="text/event-stream")

    upstream.handler = empty
    reply: Reply = await backends(url=upstream.url).send(exchange(stream=True))
    assert (reply.status, reply.body, reply.stream) == (200, b"", None)


@dataclass
class Token:
    token: str
    expires_on: int


class FakeEntra:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls = 0

    async def get_token(self, *scopes: str) -> Token:
        self.calls += 1
        if self.fail:
            raise RuntimeError("identity endpoint down: secret-detail")
        return Token("entra-token", int(SystemClock().wall()) + 3600)


def entra_backend(url: str, credential: FakeEntra) -> HttpBackend:
    settings = BackendSettings.model_validate(
        {"name": "aoai", "url": url, "api": "azure", "deployment": "d", "auth": {"type": "entra"}}
    )
    clock = SystemClock()
    return HttpBackend(
        settings, RoutingSettings(), clock, credentials_for(settings.auth, clock, credential)
    )


async def test_entra_token_sent_as_bearer_and_cached(upstream: Upstream) -> None:
    fake = FakeEntra()
    backend = entra_backend(upstream.url, fake)
    try:
        await backend.send(exchange())
        await backend.send(exchange())
    finally:
        await backend.close()
    assert [seen.headers["authorization"] for seen in upstream.seen] == ["Bearer entra-token"] * 2
    assert fake.calls == 1
    assert_no_client_credentials(upstream.seen[0])


async def test_entra_failure_is_an_upstream_error_naming_the_backend(upstream: Upstream) -> None:
    backend = entra_backend(upstream.url, FakeEntra(fail=True))
    try:
        with pytest.raises(UpstreamCredentialsError) as caught:
            await backend.send(exchange())
    finally:
        await backend.close()
    assert caught.value.message.startswith("backend 'aoai': could not obtain an Entra ID token")
    assert "secret-detail" not in str(caught.value)
    assert upstream.seen == []
