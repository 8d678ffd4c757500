"""Stack (c): granian (RSGI interface, one worker, one runtime thread) + aiohttp client.

    python -m benchmarks.stacks.proxy_granian --port 8003 --upstream URL

Granian imports the app in its worker process, so the proxy's settings travel there through
environment variables read by the ``build`` factory.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import aiohttp

from benchmarks.stacks.common import FORWARDED, PATH, ProxyArgs, parse_args, wants_stream
from benchmarks.stacks.proxy_aiohttp import client_session

_ENV_UPSTREAM = "STACK_STUDY_UPSTREAM"
_ENV_POOL = "STACK_STUDY_POOL"


class ProxyApp:
    """An RSGI app: granian hands over the scope and a protocol object with response methods."""

    def __init__(self, upstream: str, pool: int) -> None:
        self.upstream = upstream
        self.pool = pool
        self.session: aiohttp.ClientSession | None = None

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Nothing to do here: the session must be built inside the running loop."""

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        if scope.method != "POST" or scope.path != PATH:
            proto.response_empty(404, [])
            return
        if self.session is None:
            self.session = client_session(self.pool)
        body: bytes = await proto()
        headers = {"Content-Type": "application/json"}
        for name in FORWARDED:
            value = scope.headers.get(name)
            if value is not None:
                headers[name] = value
        stream = wants_stream(body)
        async with self.session.post(self.upstream, data=body, headers=headers) as up:
            reply_headers = [("content-type", up.headers.get("Content-Type", "application/json"))]
            if not stream:
                proto.response_bytes(up.status, reply_headers, await up.read())
                return
            transport = proto.response_stream(up.status, reply_headers)
            async for chunk in up.content.iter_any():
                await transport.send_bytes(chunk)


def build() -> ProxyApp:
    """Factory granian calls in its worker."""
    return ProxyApp(os.environ[_ENV_UPSTREAM], int(os.environ.get(_ENV_POOL, "256")))


def main(argv: list[str] | None = None) -> int:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.log import LogLevels

    args: ProxyArgs = parse_args(argv)
    os.environ[_ENV_UPSTREAM] = args.upstream
    os.environ[_ENV_POOL] = str(args.pool)
    print(f"READY {args.port}", flush=True)
    server = Granian(
        "benchmarks.stacks.proxy_granian:build",
        factory=True,
        address=args.host,
        port=args.port,
        interface=Interfaces.RSGI,
        workers=1,
        runtime_threads=1,
        loop=Loops.uvloop,
        http=HTTPModes.http1,
        websockets=False,
        backlog=2048,
        log_access=False,
        log_level=LogLevels.warning,
    )
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
