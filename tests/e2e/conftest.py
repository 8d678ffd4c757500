"""Real sockets: the simulator and the gateway on 127.0.0.1, ephemeral ports, one event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from tests.e2e.support import Stack, StackFactory, gateway_config, sim_deployment

from sluicegate.config.simulator import SimulatorConfig
from sluicegate.server.app import create_gateway
from sluicegate.server.runner import start_serving
from sluicegate.simulator.server import SimulatorServer


@pytest.fixture
async def start_stack() -> AsyncIterator[StackFactory]:
    """Start a simulator with the given deployments and a gateway in front of them."""
    cleanups: list[Callable[[], Awaitable[None]]] = []
    http = aiohttp.ClientSession()

    async def start(
        deployments: list[dict[str, Any]] | None = None, *, seed: int = 7, **gateway: Any
    ) -> Stack:
        deployments = deployments or [sim_deployment("only")]
        simulator = SimulatorServer(
            SimulatorConfig.model_validate({"port": 0, "seed": seed, "deployments": deployments})
        )
        simulator_url = await simulator.start()
        cleanups.append(simulator.stop)
        config = gateway_config(simulator_url, deployments, **gateway)
        built = create_gateway(config)
        serving = await start_serving(built.app, "127.0.0.1", 0, grace=1.0)
        cleanups.append(serving.stop)
        return Stack(simulator_url, serving.url, built, http)

    yield start
    for cleanup in reversed(cleanups):
        await cleanup()
    await http.close()
