"""Liveness, readiness and the model list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping

import orjson
from aiohttp import web

from sluicegate.core.errors import GatewayError
from sluicegate.core.identity import Principal
from sluicegate.routing.router import Router
from sluicegate.server.errors import error_response
from sluicegate.server.ids import id_headers

_JSON = "application/json"


Authenticate = Callable[[Mapping[str, str]], Awaitable[Principal]]


class HealthApi:
    """`/healthz` and `/readyz` are open; `/v1/models` needs a caller when authentication is on,
    and lists only the names that caller may use."""

    def __init__(self, router: Router, created: int, authenticate: Authenticate | None) -> None:
        self._router = router
        self._created = created
        self._authenticate = authenticate
        self._all_models = self._listing(router.names())

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
        if self._authenticate is None:
            return web.Response(body=self._all_models, content_type=_JSON, headers=id_headers())
        try:
            principal = await self._authenticate(request.headers)
        except GatewayError as error:
            return error_response(error, id_headers())
        names = [name for name in self._router.names() if principal.may_call(name)]
        return web.Response(body=self._listing(names), content_type=_JSON, headers=id_headers())

    def _listing(self, names: Iterable[str]) -> bytes:
        return orjson.dumps(
            {
                "object": "list",
                "data": [
                    {
                        "id": name,
                        "object": "model",
                        "created": self._created,
                        "owned_by": "sluicegate",
                    }
                    for name in names
                ],
            }
        )
