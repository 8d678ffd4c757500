"""A secured gateway (keys in SQLite) in front of simulated deployments, driven over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from multidict import CIMultiDict
from tests.e2e.support import MODEL, gateway_config, sim_deployment

from sluicegate.cli.first_keys import ensure_first_keys
from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.core.clock import ManualClock
from sluicegate.core.identity import KeyRecord, Role
from sluicegate.policies.api_keys import generate_key, hash_key, key_id_of
from sluicegate.server.app import Gateway, create_gateway
from sluicegate.server.runner import start_serving
from sluicegate.simulator.server import SimulatorServer

OTHER_MODEL = "gpt-4o-mini"
TEAM_TPM = 500_000
MODEL_TPM = 900_000


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: CIMultiDict[str]

    @property
    def error(self) -> dict[str, Any]:
        assert isinstance(self.body, dict)
        assert "error" in self.body, self.body
        error: dict[str, Any] = self.body["error"]
        assert set(error) >= {"message", "type", "param", "code"}
        return error


@dataclass
class AdminStack:
    url: str
    gateway: Gateway
    database_url: str
    clock: ManualClock
    http: aiohttp.ClientSession
    keys: dict[str, str]
    """A key per role: admin, operator, app."""

    def key_id(self, role: str) -> str:
        key_id = key_id_of(self.keys[role])
        assert key_id is not None
        return key_id

    async def call(
        self,
        method: str,
        path: str,
        *,
        role: str | None = "admin",
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if role is not None:
            sent["Authorization"] = f"Bearer {self.keys[role]}"
        async with self.http.request(
            method, f"{self.url}{path}", json=json, data=data, headers=sent
        ) as response:
            raw = await response.read()
            body = await response.json(content_type=None) if raw else None
            return Reply(response.status, body, CIMultiDict(response.headers))


async def add_key(gateway: Gateway, role: Role, team: str = "default") -> str:
    assert gateway.keys is not None
    key, key_id = generate_key()
    await gateway.keys.add(KeyRecord(key_id, hash_key(key), f"{role}-key", team, role))
    return key


@asynccontextmanager
async def admin_stack(
    tmp_path: Path,
    *,
    auth: bool = True,
    admin: dict[str, Any] | None = None,
    ledger: bool = False,
) -> AsyncIterator[AdminStack]:
    """Two simulated deployments (PTU first, then pay-as-you-go) serving two models, a team
    and a model limit in the config, and one key per role."""
    async with AsyncExitStack() as stack:
        deployments = [sim_deployment("ptu-east", "ptu"), sim_deployment("paygo-west")]
        simulator = SimulatorServer(
            SimulatorConfig.model_validate({"port": 0, "deployments": deployments})
        )
        simulator_url = await simulator.start()
        stack.push_async_callback(simulator.stop)
        data = gateway_config(simulator_url, deployments).model_dump(mode="python")
        data["backends"][0]["region"] = "eastus"
        data["models"][OTHER_MODEL] = {"pool": MODEL}
        data["auth"] = {"enabled": auth}
        data["ledger"] = {"enabled": ledger, "spool_dir": str(tmp_path / "spool")}
        data["admin"] = admin or {}
        data["quotas"] = {
            "teams": {"config-team": {"tpm": TEAM_TPM}},
            "models": {MODEL: {"tpm": MODEL_TPM}},
        }
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
        data["database_url"] = database_url
        clock = ManualClock()
        gateway = create_gateway(GatewayConfig.model_validate(data), clock=clock)
        serving = await start_serving(gateway.app, "127.0.0.1", 0, grace=0.5)
        stack.push_async_callback(serving.stop)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        keys: dict[str, str] = {}
        if gateway.keys is not None:
            first = await ensure_first_keys(gateway.keys)
            assert first is not None
            keys = {
                "admin": first.admin,
                "app": first.app,
                "operator": await add_key(gateway, Role.OPERATOR),
            }
        yield AdminStack(serving.url, gateway, database_url, clock, http, keys)


__all__ = ["MODEL", "OTHER_MODEL", "AdminStack", "Reply", "add_key", "admin_stack"]
