"""Zero-latency OpenAI upstream for benchmarks: raw asyncio + httptools (aiohttp if missing).

Answers every POST with a fixed ``chat.completion`` (with ``usage``), or, when the body asks for
``"stream": true``, with SSE chunks ending ``data: [DONE]``. Replies are prebuilt bytes so the
mock costs as little CPU as possible and the proxy under test is what gets measured.

    python -m benchmarks.stacks.mock_upstream --port 18000 [--stream-chunks 8]

Prints ``READY <port>`` on stdout once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from typing import Any, cast

from benchmarks.loadgen import loop_factory

_COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-mock",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello! How can I help you today?"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18},
}


def completion_body() -> bytes:
    return json.dumps(_COMPLETION, separators=(",", ":")).encode()


def sse_body(chunks: int) -> bytes:
    """``chunks`` content events, a final event with finish_reason and usage, then [DONE]."""
    events: list[bytes] = []
    base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1700000000}
    for i in range(chunks):
        delta = {"role": "assistant", "content": "Hi"} if i == 0 else {"content": f" w{i}"}
        event = {**base, "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": delta}]}
        events.append(json.dumps(event, separators=(",", ":")).encode())
    last = {
        **base,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": chunks, "total_tokens": 9 + chunks},
    }
    events.append(json.dumps(last, separators=(",", ":")).encode())
    events.append(b"[DONE]")
    return b"".join(b"data: " + e + b"\n\n" for e in events)


def wants_stream(body: bytes) -> bool:
    """True when the JSON body says ``"stream": true`` (cheap byte test; the mock trusts input)."""
    at = body.find(b'"stream"')
    if at < 0:
        return False
    return body[at + 8 : at + 20].lstrip(b" :\t").startswith(b"true")


def _plain_reply(body: bytes) -> bytes:
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: keep-alive\r\n\r\n"
    )
    return head + body


def _stream_reply(body: bytes) -> bytes:
    """Chunked transfer, one HTTP chunk per SSE event, all written at once (zero latency)."""
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
    )
    frames = [e + b"\n\n" for e in body.split(b"\n\n") if e]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(f), f) for f in frames)
    return head + chunked + b"0\r\n\r\n"


class Replies:
    """The two prebuilt replies."""

    def __init__(self, stream_chunks: int) -> None:
        self.plain = _plain_reply(completion_body())
        self.stream = _stream_reply(sse_body(stream_chunks))


async def serve_httptools(host: str, port: int, replies: Replies) -> asyncio.Server:
    """A keep-alive HTTP/1.1 server that answers each complete request at once."""
    import httptools

    class Protocol(asyncio.Protocol):
        def __init__(self) -> None:
            self.parser = httptools.HttpRequestParser(self)
            self.transport: asyncio.Transport | None = None
            self.body: list[bytes] = []

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

        def data_received(self, data: bytes) -> None:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                if self.transport is not None:
                    self.transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    self.transport.close()

        def on_body(self, body: bytes) -> None:
            self.body.append(body)

        def on_message_complete(self) -> None:
            body = b"".join(self.body)
            self.body.clear()
            if self.transport is None:
                return
            self.transport.write(replies.stream if wants_stream(body) else replies.plain)
            if not self.parser.should_keep_alive():
                self.transport.close()

    loop = asyncio.get_running_loop()
    return await loop.create_server(Protocol, host, port, backlog=2048)


async def serve_aiohttp(host: str, port: int, stream_chunks: int) -> Any:
    """Fallback when httptools is not installed (slower, so the mock may become the limit)."""
    from aiohttp import web

    plain_body = completion_body()
    stream_body = sse_body(stream_chunks)

    async def handle(request: web.Request) -> web.StreamResponse:
        if not wants_stream(await request.read()):
            return web.Response(body=plain_body, content_type="application/json")
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(stream_body)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port, backlog=2048).start()
    return runner


async def _main(host: str, port: int, stream_chunks: int) -> None:
    replies = Replies(stream_chunks)
    try:
        server = await serve_httptools(host, port, replies)
        bound = server.sockets[0].getsockname()[1]
        kind = "httptools"
    except ImportError:
        await serve_aiohttp(host, port, stream_chunks)
        bound, kind = port, "aiohttp"
    print(f"READY {bound} {kind}", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="zero-latency OpenAI mock upstream")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18000)
    parser.add_argument("--stream-chunks", type=int, default=8, help="content events per stream")
    args = parser.parse_args(argv)
    with (
        asyncio.Runner(loop_factory=loop_factory()) as runner,
        contextlib.suppress(KeyboardInterrupt),
    ):
        runner.run(_main(args.host, args.port, args.stream_chunks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
