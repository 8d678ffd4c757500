"""Stack (d): aiohttp server + httpx client, to measure httpx as the upstream client.

python -m benchmarks.stacks.proxy_aiohttp_httpx --port 8004 --upstream URL
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

import httpx
from aiohttp import web

from benchmarks.loadgen import loop_factory
from benchmarks.stacks.common import FORWARDED, PATH, ProxyArgs, parse_args, wants_stream

_CLIENT: web.AppKey[httpx.AsyncClient] = web.AppKey("client", httpx.AsyncClient)
_UPSTREAM: web.AppKey[str] = web.AppKey("upstream", str)


async def handle(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    stream = wants_stream(body)
    headers = {"Content-Type": "application/json"}
    for name in FORWARDED:
        value = request.headers.get(name)
        if value is not None:
            headers[name] = value
    client = request.app[_CLIENT]
    up_request = client.build_request("POST", request.app[_UPSTREAM], content=body, headers=headers)
    up = await client.send(up_request, stream=True)
    try:
        reply_headers = {"Content-Type": up.headers.get("Content-Type", "application/json")}
        if not stream:
            return web.Response(status=up.status_code, body=await up.aread(), headers=reply_headers)
        resp = web.StreamResponse(status=up.status_code, headers=reply_headers)
        await resp.prepare(request)
        async for chunk in up.aiter_raw():
            await resp.write(chunk)
        await resp.write_eof()
        return resp
    finally:
        await up.aclose()


def build_app(args: ProxyArgs) -> web.Application:
    app = web.Application()
    app[_UPSTREAM] = args.upstream

    async def client_ctx(app: web.Application) -> AsyncIterator[None]:
        limits = httpx.Limits(max_connections=args.pool, max_keepalive_connections=args.pool)
        timeout = httpx.Timeout(connect=5, read=60, write=60, pool=60)
        app[_CLIENT] = httpx.AsyncClient(limits=limits, timeout=timeout)
        yield
        await app[_CLIENT].aclose()

    app.cleanup_ctx.append(client_ctx)
    app.router.add_post(PATH, handle)
    return app


async def serve(args: ProxyArgs) -> None:
    runner = web.AppRunner(build_app(args), access_log=None)
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
