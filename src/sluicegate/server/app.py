"""The composition root: the only place that builds concrete objects and wires them."""

from __future__ import annotations

import random
from dataclasses import dataclass

from aiohttp import web

from sluicegate.backends.credentials import credentials_for
from sluicegate.backends.http import HttpBackend
from sluicegate.config.settings import GatewayConfig
from sluicegate.core.backend import Backend
from sluicegate.core.clock import Clock, SystemClock
from sluicegate.core.policy import Policy
from sluicegate.policies.stream_usage import RequestStreamUsage
from sluicegate.routing.cooldown import MemoryCooldownStore
from sluicegate.routing.router import Router, build_router
from sluicegate.server.fallback import not_found
from sluicegate.server.health import HealthApi
from sluicegate.server.openai_api import ModelApi
from sluicegate.wire.endpoints import Endpoint


@dataclass(frozen=True)
class Gateway:
    config: GatewayConfig
    app: web.Application
    router: Router


def create_gateway(
    config: GatewayConfig, *, clock: Clock | None = None, rng: random.Random | None = None
) -> Gateway:
    """Build the gateway's aiohttp application from a validated config."""
    clock = clock or SystemClock()
    backends: dict[str, Backend] = {
        settings.name: HttpBackend(
            settings, config.routing, clock, credentials_for(settings.auth, clock)
        )
        for settings in config.backends
    }
    router = build_router(
        config, backends, clock=clock, store=MemoryCooldownStore(), rng=rng or random.Random()
    )
    policies: list[Policy] = []
    if config.streaming.request_usage:
        policies.append(RequestStreamUsage())
    api = ModelApi(config, router, policies, clock)
    health = HealthApi(router, created=int(clock.wall()))

    app = web.Application(client_max_size=config.server.max_body_bytes)
    for endpoint in Endpoint:
        handler = api.openai_handler(endpoint)
        app.router.add_route("*", f"/v1/{endpoint.value}", handler)
        app.router.add_route("*", f"/openai/v1/{endpoint.value}", handler)
        app.router.add_route(
            "*",
            f"/openai/deployments/{{deployment}}/{endpoint.value}",
            api.deployment_handler(endpoint),
        )
    for path in ("/v1/models", "/openai/v1/models", "/openai/models"):
        app.router.add_get(path, health.models, allow_head=False)
    app.router.add_get("/healthz", health.healthz, allow_head=False)
    app.router.add_get("/readyz", health.readyz, allow_head=False)
    app.router.add_route("*", "/{tail:.*}", not_found)

    async def close_backends(app: web.Application) -> None:
        for backend in backends.values():
            await backend.close()

    app.on_cleanup.append(close_backends)
    return Gateway(config=config, app=app, router=router)
