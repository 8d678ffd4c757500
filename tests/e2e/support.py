"""Building blocks for end-to-end tests: simulated deployments and a gateway in front."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from sluicegate.config.settings import GatewayConfig
from sluicegate.server.app import Gateway

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


StackFactory = Callable[..., Awaitable[Stack]]
