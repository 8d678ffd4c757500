#!/usr/bin/env python3
"""A stand-in OpenTelemetry collector for benchmarks: accepts OTLP/HTTP trace exports, counts
them and answers at once, so the gateway's own cost of tracing is what a run measures.

    .venv/bin/python -m benchmarks.otlp_sink --port 4318

`GET /stats` answers `{"exports": N, "bytes": B}`.
"""

from __future__ import annotations

import argparse

from aiohttp import web

EXPORTS = web.AppKey("exports", dict)


async def traces(request: web.Request) -> web.Response:
    body = await request.read()
    counts = request.app[EXPORTS]
    counts["exports"] += 1
    counts["bytes"] += len(body)
    # An empty ExportTraceServiceResponse is an empty protobuf message.
    return web.Response(body=b"", content_type="application/x-protobuf")


async def stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[EXPORTS])


def build() -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[EXPORTS] = {"exports": 0, "bytes": 0}
    app.router.add_post("/v1/traces", traces)
    app.router.add_get("/stats", stats)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=4318)
    args = parser.parse_args()
    web.run_app(build(), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
