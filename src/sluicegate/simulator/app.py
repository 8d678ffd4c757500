"""The simulator's aiohttp application: OpenAI, Azure OpenAI and admin routes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from sluicegate.config.simulator import SimulatorConfig
from sluicegate.simulator.deployment import Deployment, Deployments
from sluicegate.simulator.handlers import SimulatorService
from sluicegate.simulator.payloads import models_body
from sluicegate.simulator.replies import error_reply, json_reply
from sluicegate.wire.endpoints import Endpoint

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SERVICE = web.AppKey("sluicegate_simulator", SimulatorService)
MAX_BODY_BYTES = 64 * 1024 * 1024


def build_simulator_app(
    config: SimulatorConfig, *, now: Callable[[], float] = time.monotonic
) -> web.Application:
    """An application serving every deployment of `config`; `now` drives capacity windows."""
    deployments = Deployments(
        Deployment(settings, config.seed, now) for settings in config.deployments
    )
    service = SimulatorService(deployments, asyncio.Event())
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SERVICE] = service
    app.on_shutdown.append(_release_hanging)
    router = app.router
    for endpoint in Endpoint:
        openai = _by_model(service, endpoint)
        router.add_post(f"/v1/{endpoint.value}", openai)
        router.add_post(f"/openai/v1/{endpoint.value}", openai)
        router.add_post(
            f"/openai/deployments/{{deployment}}/{endpoint.value}", _by_path(service, endpoint)
        )
    models = _models(deployments)
    router.add_get("/v1/models", models)
    router.add_get("/openai/v1/models", models)
    router.add_get("/sim/stats", _stats(deployments))
    router.add_post("/sim/reset", _reset(deployments))
    router.add_route("*", "/{tail:.*}", _unknown_path)
    return app


def _by_model(service: SimulatorService, endpoint: Endpoint) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await service.handle(request, endpoint, None)

    return handle


def _by_path(service: SimulatorService, endpoint: Endpoint) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await service.handle(request, endpoint, request.match_info["deployment"])

    return handle


def _models(deployments: Deployments) -> Handler:
    created = int(time.time())

    async def handle(request: web.Request) -> web.StreamResponse:
        return json_reply(models_body(deployments.model_ids(), created), _ids())

    return handle


def _stats(deployments: Deployments) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        report = {
            "deployments": {
                deployment.settings.name: deployment.snapshot() for deployment in deployments
            }
        }
        return json_reply(orjson.dumps(report), _ids())

    return handle


def _reset(deployments: Deployments) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        for deployment in deployments:
            deployment.reset()
        return json_reply(b'{"status":"reset"}', _ids())

    return handle


async def _unknown_path(request: web.Request) -> web.StreamResponse:
    return error_reply(
        404,
        f"No route for {request.method} {request.path}; the simulator serves /v1/..., "
        "/openai/v1/... and /openai/deployments/{deployment}/...",
        "invalid_request_error",
        "404",
        _ids(),
    )


async def _release_hanging(app: web.Application) -> None:
    """Shutting down ends requests that were told to hang, so the server can stop."""
    app[SERVICE].stopping.set()


def _ids() -> dict[str, str]:
    request_id = str(uuid.uuid4())
    return {"apim-request-id": request_id, "x-request-id": request_id}
