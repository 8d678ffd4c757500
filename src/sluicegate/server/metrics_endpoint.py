"""`GET /metrics`: the gateway's Prometheus metrics, for admins and operators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from sluicegate.core.errors import GatewayError
from sluicegate.server.admin.endpoints import Guard
from sluicegate.server.errors import error_response
from sluicegate.server.ids import REQUEST_ID, RequestIds
from sluicegate.telemetry.metrics import CONTENT_TYPE, GatewayMetrics

METRICS_PATH = "/metrics"


def metrics_handler(
    metrics: GatewayMetrics, guard: Guard
) -> Callable[[web.Request], Awaitable[web.Response]]:
    request_ids = RequestIds()

    async def handle(request: web.Request) -> web.Response:
        request_id = request_ids()
        try:
            await guard.admit(request.headers, "read")
        except GatewayError as error:
            return error_response(error, {REQUEST_ID: request_id})
        return web.Response(
            body=metrics.render(),
            headers={"Content-Type": CONTENT_TYPE, REQUEST_ID: request_id},
        )

    return handle
