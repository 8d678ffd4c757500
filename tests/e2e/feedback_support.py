"""A gateway with the usage ledger and feedback on, in front of a simulated deployment: keys
per role in SQLite, a manual clock, and helpers that call it like a client would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from openai import AsyncOpenAI
from tests.e2e.admin_support import AdminStack, Reply, add_key
from tests.e2e.support import MODEL, gateway_config, sim_deployment

from sluicegate.cli.first_keys import ensure_first_keys
from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.core.clock import ManualClock
from sluicegate.core.identity import Role
from sluicegate.server.app import create_gateway
from sluicegate.server.runner import start_serving
from sluicegate.simulator.server import SimulatorServer

ORIGIN = "https://app.example.com"
MESSAGES: list[Any] = [{"role": "user", "content": "What is the capital of Australia?"}]


@dataclass
class FeedbackStack(AdminStack):
    """`keys` holds a key per role (admin, operator, app) and `other`, a second app key."""

    def sdk(self, key: str | None = "app") -> AsyncOpenAI:
        api_key = self.keys[key] if key is not None else "unused"
        return AsyncOpenAI(base_url=f"{self.url}/v1", api_key=api_key, max_retries=0)

    async def ask(self, key: str | None = "app", **extra: Any) -> tuple[str, dict[str, str]]:
        """One chat completion through the official SDK: its request id and headers."""
        async with self.sdk(key) as client:
            raw = await client.chat.completions.with_raw_response.create(
                model=MODEL, messages=MESSAGES, max_tokens=5, **extra
            )
            raw.parse()
        return raw.headers["x-request-id"], dict(raw.headers)

    async def rate(
        self,
        body: Any,
        *,
        key: str | None = "app",
        headers: dict[str, str] | None = None,
        path: str = "/v1/feedback",
        method: str = "POST",
    ) -> Reply:
        """`body` as JSON, or as it is when bytes, authorized by `key` (None: no key)."""
        if isinstance(body, bytes):
            return await self.call(method, path, role=key, data=body, headers=headers)
        return await self.call(method, path, role=key, json=body, headers=headers)


@asynccontextmanager
async def feedback_stack(
    tmp_path: Path,
    *,
    auth: bool = True,
    ledger: bool = True,
    feedback: dict[str, Any] | None = None,
    capture: dict[str, Any] | None = None,
    database_url: str | None = None,
) -> AsyncIterator[FeedbackStack]:
    """The ledger writes its batches only when stopped or flushed (a minute-long interval),
    so every record is still in the spool when feedback arrives: the case of a rating posted
    right after its reply. `database_url` defaults to a SQLite file in `tmp_path` (give
    another replica the first one's)."""
    async with AsyncExitStack() as stack:
        deployments = [sim_deployment("ptu-east", "ptu")]
        simulator = SimulatorServer(
            SimulatorConfig.model_validate({"port": 0, "deployments": deployments})
        )
        simulator_url = await simulator.start()
        stack.push_async_callback(simulator.stop)
        data = gateway_config(simulator_url, deployments).model_dump(mode="python")
        data["auth"] = {"enabled": auth}
        data["admin"] = {"without_auth": not auth}
        data["ledger"] = {
            "enabled": ledger,
            "spool_dir": str(tmp_path / "spool"),
            "flush_interval_seconds": 60,
            "batch_size": 100_000,
        }
        data["feedback"] = feedback or {}
        data["capture"] = capture or {}
        database_url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
        data["database_url"] = database_url
        clock = ManualClock()
        gateway = create_gateway(GatewayConfig.model_validate(data), clock=clock)
        serving = await start_serving(gateway.app, "127.0.0.1", 0, grace=0.5)
        stack.push_async_callback(serving.stop)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        keys: dict[str, str] = {}
        first = await ensure_first_keys(gateway.keys) if gateway.keys is not None else None
        if first is not None and gateway.keys is not None:
            keys = {
                "admin": first.admin,
                "app": first.app,
                "operator": await add_key(gateway, Role.OPERATOR),
                "other": await add_key(gateway, Role.APP),
            }
        yield FeedbackStack(serving.url, gateway, database_url, clock, http, keys)
