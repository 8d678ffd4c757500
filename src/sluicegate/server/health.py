"""Liveness, readiness and the model list."""

from __future__ import annotations

import orjson
from aiohttp import web

from sluicegate.routing.router import Router
from sluicegate.server.ids import id_headers

_JSON = "application/json"


class HealthApi:
    def __init__(self, router: Router, created: int) -> None:
        self._router = router
        self._models = orjson.dumps(
            {
                "object": "list",
                "data": [
                    {"id": name, "object": "model", "created": created, "owned_by": "sluicegate"}
                    for name in router.names()
                ],
            }
        )

    async def healthz(self, request: web.Request) -> web.Response:
        """Alive: the process answers."""
        return web.Response(body=b'{"status":"ok"}', content_type=_JSON, headers=id_headers())

    async def readyz(self, request: web.Request) -> web.Response:
        """Ready: config loaded and at least one backend usable (not cooling down)."""
        pools = {pool.name: pool.usable() for pool in self._router.pools().values()}
        ready = any(pools.values())
        body = orjson.dumps({"status": "ready" if ready else "unavailable", "pools": pools})
        return web.Response(
            status=200 if ready else 503, body=body, content_type=_JSON, headers=id_headers()
        )

    async def models(self, request: web.Request) -> web.Response:
        return web.Response(body=self._models, content_type=_JSON, headers=id_headers())
