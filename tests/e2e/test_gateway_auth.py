"""Authentication through the gateway: keys in SQLite, the official SDK as the client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import openai
import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI
from tests.e2e.support import MODEL, gateway_config, sim_deployment

from sluicegate.cli.first_keys import FirstKeys, ensure_first_keys
from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.core.clock import ManualClock
from sluicegate.core.identity import KeyRecord, KeyStore, Role
from sluicegate.policies.api_keys import generate_key, hash_key
from sluicegate.server.app import create_gateway
from sluicegate.server.runner import start_serving
from sluicegate.simulator.server import SimulatorServer

pytestmark = pytest.mark.e2e

MESSAGES = [{"role": "user", "content": "hello"}]


@dataclass
class Secured:
    url: str
    keys: FirstKeys
    store: KeyStore
    clock: ManualClock


@pytest.fixture
async def secured(tmp_path: Path) -> AsyncIterator[Secured]:
    deployments = [sim_deployment("only")]
    simulator = SimulatorServer(
        SimulatorConfig.model_validate({"port": 0, "deployments": deployments})
    )
    simulator_url = await simulator.start()
    base = gateway_config(simulator_url, deployments)
    config = GatewayConfig.model_validate(
        {
            **base.model_dump(mode="json", exclude={"backends"}),
            "backends": [b.model_dump(mode="python") for b in base.backends],
            "auth": {"enabled": True},
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}",
        }
    )
    clock = ManualClock()
    gateway = create_gateway(config, clock=clock)
    serving = await start_serving(gateway.app, "127.0.0.1", 0, grace=0.5)
    assert gateway.keys is not None
    keys = await ensure_first_keys(gateway.keys)
    assert keys is not None
    yield Secured(serving.url, keys, gateway.keys, clock)
    await serving.stop()
    await simulator.stop()


async def add_key(
    store: KeyStore, role: Role, models: frozenset[str] = frozenset()
) -> tuple[str, str]:
    """A new key in the store: (key, key id)."""
    key, key_id = generate_key()
    record = KeyRecord(key_id, hash_key(key), f"{role}-key", "default", role, models=models)
    await store.add(record)
    return key, key_id


def client(url: str, key: str) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)


async def test_the_app_key_works_with_both_clients(secured: Secured) -> None:
    async with client(secured.url, secured.keys.app) as openai_client:
        reply = await openai_client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
            max_tokens=3,
        )
    assert reply.choices[0].message.content
    async with AsyncAzureOpenAI(
        azure_endpoint=secured.url,
        api_key=secured.keys.app,
        api_version="2024-10-21",
        max_retries=0,
    ) as azure:
        stream = await azure.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
            stream=True,
            max_tokens=3,
        )
        assert [chunk async for chunk in stream]


@pytest.mark.parametrize("key", ["sg-000000000000-not-a-real-key", "not-even-our-format"])
async def test_unknown_keys_are_401_and_never_echoed(secured: Secured, key: str) -> None:
    async with client(secured.url, key) as openai_client:
        with pytest.raises(openai.AuthenticationError) as caught:
            await openai_client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
    assert caught.value.status_code == 401
    assert key not in str(caught.value)


async def test_a_request_without_credentials_is_401(secured: Secured) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{secured.url}/v1/chat/completions", json={"model": MODEL, "messages": MESSAGES}
        ) as response,
    ):
        body = await response.json()
    assert response.status == 401
    assert body["error"]["type"] == "authentication_error"
    assert "api-key" in body["error"]["message"]


async def test_roles_and_allow_lists_are_403(secured: Secured) -> None:
    operator, _ = await add_key(secured.store, Role.OPERATOR)
    elsewhere, _ = await add_key(secured.store, Role.APP, frozenset({"some-other-model"}))
    for key in (operator, elsewhere):
        async with client(secured.url, key) as openai_client:
            with pytest.raises(openai.PermissionDeniedError) as caught:
                await openai_client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
        assert caught.value.status_code == 403
    assert MODEL in str(caught.value)


async def test_a_revoked_key_stops_working_within_a_second(secured: Secured) -> None:
    key, key_id = await add_key(secured.store, Role.APP)
    async with client(secured.url, key) as openai_client:
        await openai_client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=2)  # type: ignore[arg-type]
        revoked_at = datetime.fromtimestamp(secured.clock.wall(), UTC)
        assert await secured.store.revoke(key_id, revoked_at)
        secured.clock.advance(1.01)
        with pytest.raises(openai.AuthenticationError):
            await openai_client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]


async def test_names_are_not_revealed_to_callers_without_a_key(secured: Secured) -> None:
    unknown = {"model": "no-such-model", "messages": MESSAGES}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{secured.url}/v1/chat/completions", json=unknown) as response:
            assert response.status == 401
        async with http.get(f"{secured.url}/v1/models") as response:
            assert response.status == 401
        app = {"Authorization": f"Bearer {secured.keys.app}"}
        async with http.post(
            f"{secured.url}/v1/chat/completions", json=unknown, headers=app
        ) as response:
            assert response.status == 404
            assert "x-sluicegate-route" not in response.headers
        async with http.get(f"{secured.url}/v1/models", headers=app) as response:
            assert response.status == 200
            assert {m["id"] for m in (await response.json())["data"]} == {
                MODEL,
                "gpt-4o-deployment",
            }


async def test_the_model_list_shows_only_what_a_key_may_call(secured: Secured) -> None:
    narrow, _ = await add_key(secured.store, Role.APP, frozenset({MODEL}))
    async with client(secured.url, narrow) as openai_client:
        listed = [model.id async for model in openai_client.models.list()]
    assert listed == [MODEL]
