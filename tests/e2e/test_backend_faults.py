"""The HTTP backend against raw sockets that misbehave: refused, reset, silent, cut off.

Every wait is bounded by the backend's own timeout or by an event the server sets; no test
sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest

from sluicegate.backends.credentials import StaticCredentials
from sluicegate.backends.http import HttpBackend
from sluicegate.config.settings import BackendSettings, RoutingSettings
from sluicegate.core.clock import SystemClock
from sluicegate.core.errors import UpstreamConnectError, UpstreamProtocolError, UpstreamTimeout
from sluicegate.core.exchange import Exchange
from sluicegate.wire.endpoints import Endpoint

pytestmark = pytest.mark.e2e

BOUND = 0.2
STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
)
FIRST = b'data: {"n":1}\n\n'

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class RawServer:
    """A TCP server on 127.0.0.1 whose handler writes whatever bytes a test wants."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.release = asyncio.Event()
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.append(task)
        self._writers.append(writer)
        self.connections += 1
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await self.handler(reader, writer)

    async def stop(self) -> None:
        self.release.set()
        assert self._server is not None
        self._server.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return await reader.readexactly(length)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[tuple[str, RawServer]]]]:
    servers: list[RawServer] = []

    async def start(handler: Handler) -> tuple[str, RawServer]:
        server = RawServer(handler)
        servers.append(server)
        return await server.start(), server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def backends() -> AsyncIterator[Callable[..., HttpBackend]]:
    made: list[HttpBackend] = []

    def make(url: str, first_byte: float = BOUND) -> HttpBackend:
        backend = HttpBackend(
            BackendSettings(name="raw", url=url),
            RoutingSettings(connect_timeout_seconds=2.0, first_byte_timeout_seconds=first_byte),
            SystemClock(),
            StaticCredentials({}),
        )
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.close()


def exchange(*, stream: bool = False, deadline_in: float = 30.0) -> Exchange:
    body: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    body["stream"] = stream
    now = SystemClock().now()
    return Exchange(
        request_id="req-1",
        endpoint=Endpoint.CHAT,
        raw=orjson.dumps(body),
        body=body,
        model="m",
        stream=stream,
        include_usage=False,
        client_headers={},
        started_at=now,
        deadline=now + deadline_in,
    )


async def test_connection_refused(backends: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UpstreamConnectError, match="connection refused") as caught:
        await backends(f"http://127.0.0.1:{port}").send(exchange())
    assert str(port) not in caught.value.message
    assert caught.value.message.startswith("backend 'raw': ")


async def test_reset_before_reply_is_a_connect_error(serve: Any, backends: Any) -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    url, _ = await serve(reset)
    with pytest.raises(UpstreamConnectError) as caught:
        await backends(url).send(exchange())
    assert "127.0.0.1" not in caught.value.message


async def test_malformed_status_line_is_a_protocol_error(serve: Any, backends: Any) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"THIS IS NOT HTTP\r\n\r\n")
        await writer.drain()
        await server.release.wait()

    url, server = await serve(garbage)
    with pytest.raises(UpstreamProtocolError):
        await backends(url).send(exchange())


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    await reader.read()


async def test_silent_server_times_out_after_first_byte_bound(serve: Any, backends: Any) -> None:
    url, _ = await serve(hang)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout, match=r"first byte after 0\.2 s"):
        await backends(url).send(exchange())
    assert BOUND <= time.monotonic() - started < 5.0


async def test_request_deadline_shortens_the_bound(serve: Any, backends: Any) -> None:
    url, _ = await serve(hang)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout, match=r"first byte after 0\.[12] s"):
        await backends(url, first_byte=120.0).send(exchange(deadline_in=BOUND))
    assert time.monotonic() - started < 5.0


async def test_past_deadline_fails_without_calling_upstream(serve: Any, backends: Any) -> None:
    url, server = await serve(hang)
    with pytest.raises(UpstreamTimeout, match="deadline"):
        await backends(url).send(exchange(deadline_in=-1.0))
    assert server.connections == 0


async def test_stream_whose_first_chunk_never_comes_times_out(serve: Any, backends: Any) -> None:
    async def headers_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(STREAM_HEAD)
        await writer.drain()
        await reader.read()

    url, _ = await serve(headers_only)
    with pytest.raises(UpstreamTimeout, match=r"first byte after 0\.2 s"):
        await backends(url).send(exchange(stream=True))


async def test_body_that_never_completes_times_out(serve: Any, backends: Any) -> None:
    async def partial(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"id":')
        await writer.drain()
        await reader.read()

    url, _ = await serve(partial)
    with pytest.raises(UpstreamTimeout):
        await backends(url).send(exchange())


async def test_mid_stream_drop_raises_protocol_error(serve: Any, backends: Any) -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(STREAM_HEAD + chunk(FIRST))
        await writer.drain()
        writer.close()

    url, _ = await serve(cut)
    reply = await backends(url).send(exchange(stream=True))
    assert reply.stream is not None
    iterator = aiter(reply.stream)
    assert await anext(iterator) == FIRST
    with pytest.raises(UpstreamProtocolError, match="connection dropped mid-stream"):
        await anext(iterator)
    with pytest.raises(StopAsyncIteration):
        await anext(iterator)
    await reply.stream.aclose()


async def test_aclose_makes_the_server_see_the_client_leave(serve: Any, backends: Any) -> None:
    client_gone = asyncio.Event()

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(STREAM_HEAD + chunk(FIRST))
        await writer.drain()
        if await reader.read() == b"":
            client_gone.set()

    url, _ = await serve(endless)
    reply = await backends(url).send(exchange(stream=True))
    assert reply.stream is not None
    assert await anext(aiter(reply.stream)) == FIRST
    assert not client_gone.is_set()
    await reply.release()
    await asyncio.wait_for(client_gone.wait(), timeout=5.0)


async def test_clean_close_before_reply_is_retried_once(serve: Any, backends: Any) -> None:
    async def close_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        if server.connections == 1:
            writer.close()
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        await reader.read()

    url, server = await serve(close_first)
    reply = await backends(url).send(exchange())
    assert (reply.status, reply.body) == (200, b"{}")
    assert server.connections == 2


async def test_clean_close_twice_is_a_connect_error(serve: Any, backends: Any) -> None:
    async def close_always(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.close()

    url, server = await serve(close_always)
    with pytest.raises(UpstreamConnectError, match="closed the connection before replying"):
        await backends(url).send(exchange())
    assert server.connections == 2


async def test_stream_running_past_the_deadline_is_cut(serve: Any, backends: Any) -> None:
    client_gone = asyncio.Event()

    async def stuck(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(STREAM_HEAD + chunk(FIRST))
        await writer.drain()
        if await reader.read() == b"":
            client_gone.set()

    url, _ = await serve(stuck)
    started = time.monotonic()
    reply = await backends(url).send(exchange(stream=True, deadline_in=0.3))
    assert reply.stream is not None
    iterator = aiter(reply.stream)
    assert await anext(iterator) == FIRST
    with pytest.raises(UpstreamTimeout, match="request deadline"):
        await anext(iterator)
    assert 0.3 <= time.monotonic() - started < 5.0
    await asyncio.wait_for(client_gone.wait(), timeout=5.0)
