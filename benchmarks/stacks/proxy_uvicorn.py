"""Stack (b): uvicorn (httptools + uvloop) serving a raw ASGI app + aiohttp client.

python -m benchmarks.stacks.proxy_uvicorn --port 8002 --upstream URL
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import aiohttp
import uvicorn

from benchmarks.stacks.common import FORWARDED, PATH, ProxyArgs, parse_args, wants_stream
from benchmarks.stacks.proxy_aiohttp import client_session

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_NOT_FOUND = {"type": "http.response.start", "status": 404, "headers": []}


class ProxyApp:
    """A raw ASGI app: no framework between the server and the handler."""

    def __init__(self, args: ProxyArgs) -> None:
        self.args = args
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["method"] != "POST" or scope["path"] != PATH or self.session is None:
            await send(_NOT_FOUND)
            await send({"type": "http.response.body", "body": b""})
            return
        body = await _read_body(receive)
        headers = {"Content-Type": "application/json"}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1")
            if name in FORWARDED:
                headers[name] = raw_value.decode("latin-1")
        stream = wants_stream(body)
        async with self.session.post(self.args.upstream, data=body, headers=headers) as up:
            ctype = up.headers.get("Content-Type", "application/json").encode("latin-1")
            start = {"type": "http.response.start", "status": up.status}
            if not stream:
                data = await up.read()
                length = b"%d" % len(data)
                start["headers"] = [(b"content-type", ctype), (b"content-length", length)]
                await send(start)
                await send({"type": "http.response.body", "body": data})
                return
            start["headers"] = [(b"content-type", ctype)]
            await send(start)
            async for chunk in up.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.session = client_session(self.args.pool)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.session is not None:
                    await self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive) -> bytes:
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body
    parts = [body]
    while message.get("more_body"):
        message = await receive()
        parts.append(message.get("body", b""))
    return b"".join(parts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"READY {args.port}", flush=True)
    uvicorn.run(
        ProxyApp(args),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="warning",
        backlog=2048,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
