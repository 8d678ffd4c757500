"""Gateways that render registered prompts: a simulated deployment behind a recording proxy
(so a test sees exactly what the backend received), authentication and the usage ledger on, one
SQLite database that several gateways may share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from openai import AsyncAzureOpenAI, AsyncOpenAI
from tests.e2e.support import MODEL, gateway_config, served, sim_deployment

from sluicegate.cli.first_keys import ensure_first_keys
from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.server.app import Gateway, create_gateway
from sluicegate.server.runner import start_serving
from sluicegate.simulator.server import SimulatorServer

AZURE_API_VERSION = "2024-10-21"
_HOP_BY_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass
class RecordingProxy:
    """Forwards every request to the simulator and keeps the JSON body it was sent."""

    target: str
    http: aiohttp.ClientSession
    bodies: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        self.bodies.append(orjson.loads(raw))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self.http.post(
            f"{self.target}{request.path_qs}", data=raw, headers=headers
        ) as upstream:
            passed = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
            response = web.StreamResponse(status=upstream.status, headers=passed)
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response


@dataclass
class Running:
    url: str
    gateway: Gateway


@dataclass
class PromptStack:
    """The simulator behind the proxy, and gateways started on demand over one database."""

    tmp_path: Path
    proxy: RecordingProxy
    proxy_url: str
    database_url: str
    http: aiohttp.ClientSession
    exits: AsyncExitStack
    keys: dict[str, str] = field(default_factory=dict)
    started: int = 0

    async def gateway(self, *, auth: bool = True, **prompts: Any) -> Running:
        """Another gateway over the shared database (its own ledger spool); the first one
        creates the admin and app keys."""
        self.started += 1
        data = gateway_config(self.proxy_url, [sim_deployment("sim")]).model_dump(mode="python")
        data["auth"] = {"enabled": auth}
        data["ledger"] = {
            "enabled": True,
            "flush_interval_seconds": 0.05,
            "spool_dir": str(self.tmp_path / f"spool-{self.started}"),
        }
        data["database_url"] = self.database_url
        data["prompts"] = prompts
        gateway = create_gateway(GatewayConfig.model_validate(data))
        serving = await start_serving(gateway.app, "127.0.0.1", 0, grace=0.5)
        self.exits.push_async_callback(serving.stop)
        if auth and not self.keys:
            assert gateway.keys is not None
            first = await ensure_first_keys(gateway.keys)
            assert first is not None
            self.keys = {"admin": first.admin, "app": first.app}
        return Running(serving.url, gateway)

    def openai(self, url: str, key: str | None = None) -> AsyncOpenAI:
        client = AsyncOpenAI(
            base_url=f"{url}/v1", api_key=key or self.keys.get("app", "none"), max_retries=0
        )
        self.exits.push_async_callback(client.close)
        return client

    def azure(self, url: str, key: str | None = None) -> AsyncAzureOpenAI:
        client = AsyncAzureOpenAI(
            azure_endpoint=url,
            api_key=key or self.keys["app"],
            api_version=AZURE_API_VERSION,
            max_retries=0,
        )
        self.exits.push_async_callback(client.close)
        return client

    async def admin(self, method: str, url: str, path: str, body: Any = None) -> Any:
        """An admin API call with the admin key; the JSON answer (a 2xx is required)."""
        headers = {"Authorization": f"Bearer {self.keys['admin']}"}
        async with self.http.request(
            method, f"{url}{path}", json=body, headers=headers
        ) as response:
            answer = await response.json(content_type=None)
            assert response.status < 300, answer
            return answer

    async def push(self, url: str, source: str) -> int:
        """Push a prompty file through the admin API; its version number."""
        answer = await self.admin("POST", url, "/admin/prompts", {"source": source})
        version: int = answer["version"]["version"]
        return version

    async def label(self, url: str, name: str, label: str, version: int) -> None:
        await self.admin("PUT", url, f"/admin/prompts/{name}/labels/{label}", {"version": version})


@asynccontextmanager
async def prompt_stack(tmp_path: Path) -> AsyncIterator[PromptStack]:
    async with AsyncExitStack() as exits:
        simulator = SimulatorServer(
            SimulatorConfig.model_validate(
                {"port": 0, "seed": 3, "deployments": [sim_deployment("sim")]}
            )
        )
        simulator_url = await simulator.start()
        exits.push_async_callback(simulator.stop)
        http = await exits.enter_async_context(aiohttp.ClientSession())
        proxy = RecordingProxy(simulator_url, http)
        app = web.Application()
        app.router.add_post("/{tail:.*}", proxy.handle)
        proxy_url = await exits.enter_async_context(served(app))
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
        yield PromptStack(tmp_path, proxy, proxy_url, database_url, http, exits)


__all__ = ["MODEL", "PromptStack", "RecordingProxy", "Running", "prompt_stack"]
