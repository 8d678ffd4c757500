"""Building blocks for end-to-end tests: simulated deployments and a gateway in front."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.server.app import Gateway
from sluicegate.simulator.server import SimulatorServer

MODEL = "gpt-4o"


@dataclass
class Stack:
    simulator_url: str
    gateway_url: str
    gateway: Gateway
    http: aiohttp.ClientSession

    async def sim_stats(self) -> dict[str, Any]:
        async with self.http.get(f"{self.simulator_url}/sim/stats") as response:
            assert response.status == 200
            stats: dict[str, Any] = await response.json()
            return stats


def sim_deployment(name: str, kind: str = "paygo", **extra: Any) -> dict[str, Any]:
    deployment: dict[str, Any] = {"name": name, "model": MODEL, "kind": kind}
    if kind == "ptu" and "capacity_tpm" not in extra:
        deployment["capacity_tpm"] = 1_000_000
    deployment.update(extra)
    return deployment


def gateway_config(
    simulator_url: str,
    deployments: list[dict[str, Any]],
    *,
    priorities: dict[str, int] | None = None,
    routing: dict[str, Any] | None = None,
    server: dict[str, Any] | None = None,
    extra_backends: list[dict[str, Any]] | None = None,
) -> GatewayConfig:
    """A gateway with one Azure-style backend per simulated deployment, all in one pool."""
    priorities = priorities or {}
    backends = [
        {
            "name": deployment["name"],
            "url": simulator_url,
            "api": "azure",
            "deployment": deployment["name"],
            "kind": deployment.get("kind", "paygo"),
            "priority": priorities.get(deployment["name"], index + 1),
            "auth": {"type": "api-key", "key": f"backend-secret-{deployment['name']}"},
        }
        for index, deployment in enumerate(deployments)
    ] + (extra_backends or [])
    return GatewayConfig.model_validate(
        {
            "server": server or {},
            # These tests are about routing; authentication has its own (test_gateway_auth.py).
            "auth": {"enabled": False},
            "ledger": {"enabled": False},
            "routing": routing or {},
            "backends": backends,
            "pools": {MODEL: {"members": [{"backend": backend["name"]} for backend in backends]}},
            "models": {MODEL: {"pool": MODEL, "aliases": ["gpt-4o-deployment"]}},
        }
    )


async def config_data(
    stack: AsyncExitStack, upstream: str | None
) -> tuple[dict[str, Any], str | None]:
    """A gateway config as data to adjust, with one backend: `upstream` (an OpenAI-style
    server) or, when None, a simulated deployment `sim` started on `stack`. Also the
    simulator's URL (None with an upstream)."""
    if upstream is not None:
        data = gateway_config(upstream, [sim_deployment("rec")]).model_dump(mode="python")
        data["backends"][0].update(api="openai", deployment=None, url=upstream)
        return data, None
    deployments = [sim_deployment("sim")]
    simulator = SimulatorServer(
        SimulatorConfig.model_validate({"port": 0, "deployments": deployments})
    )
    simulator_url = await simulator.start()
    stack.push_async_callback(simulator.stop)
    return gateway_config(simulator_url, deployments).model_dump(mode="python"), simulator_url


@asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[str]:
    """`app` on a free local port (its base URL) while the block runs: a stub upstream or
    collector for the gateway to call."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


StackFactory = Callable[..., Awaitable[Stack]]
