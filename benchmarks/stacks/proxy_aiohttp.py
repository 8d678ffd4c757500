"""Stack (a): aiohttp server + aiohttp client, tuned as the study recommends.

python -m benchmarks.stacks.proxy_aiohttp --port 8001 --upstream URL
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from benchmarks.loadgen import loop_factory
from benchmarks.stacks.common import FORWARDED, PATH, ProxyArgs, parse_args, wants_stream

_SESSION: web.AppKey[aiohttp.ClientSession] = web.AppKey("session", aiohttp.ClientSession)
_UPSTREAM: web.AppKey[str] = web.AppKey("upstream", str)


def client_session(pool: int) -> aiohttp.ClientSession:
    """One long-lived pool; one timeout object; no decompression or auto headers."""
    connector = aiohttp.TCPConnector(
        limit=pool, limit_per_host=0, ttl_dns_cache=None, keepalive_timeout=60
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=60),
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept-Encoding"),
    )


async def handle(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    stream = wants_stream(body)
    headers = {"Content-Type": "application/json"}
    for name in FORWARDED:
        value = request.headers.get(name)
        if value is not None:
            headers[name] = value
    session = request.app[_SESSION]
    async with session.post(request.app[_UPSTREAM], data=body, headers=headers) as up:
        reply_headers = {"Content-Type": up.headers.get("Content-Type", "application/json")}
        if not stream:
            return web.Response(status=up.status, body=await up.read(), headers=reply_headers)
        resp = web.StreamResponse(status=up.status, headers=reply_headers)
        await resp.prepare(request)
        async for chunk in up.content.iter_any():
            await resp.write(chunk)
        await resp.write_eof()
        return resp


def build_app(args: ProxyArgs) -> web.Application:
    app = web.Application()  # no middlewares: each one wraps every request in another coroutine
    app[_UPSTREAM] = args.upstream

    async def session_ctx(app: web.Application) -> AsyncIterator[None]:
        app[_SESSION] = client_session(args.pool)
        yield
        await app[_SESSION].close()

    app.cleanup_ctx.append(session_ctx)
    app.router.add_post(PATH, handle)
    return app


async def serve(args: ProxyArgs) -> None:
    runner = web.AppRunner(build_app(args), access_log=None, handler_cancellation=False)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.port, backlog=2048).start()
    print(f"READY {args.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with (
        asyncio.Runner(loop_factory=loop_factory()) as runner,
        contextlib.suppress(KeyboardInterrupt),
    ):
        runner.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
