"""A full run of a real `sluicegate serve` process at debug level, then a grep of everything it
printed for every key, token and backend credential the run used: none may appear, while the
per-request lines that name the consumers by key id and subject must."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import openai
import orjson
import pytest
from tests.e2e.processes import serve_in_thread, sluicegate
from tests.unit.auth_tokens import AUDIENCE, ISSUER, Signer, claims, jwks

from sluicegate.config.simulator import zero_latency_config
from sluicegate.core.identity import KeyRecord, Role
from sluicegate.policies.api_keys import generate_key, hash_key
from sluicegate.simulator.server import SimulatorServer
from sluicegate.stores.sql import SqlStores

pytestmark = pytest.mark.e2e

MODEL = "gpt-4o"
BACKEND_SECRET = "backend-credential-9f8e7d6c5b4a"
DATABASE_ENV = "SLUICEGATE_DATABASE_URL"


def seed_keys(database_url: str) -> dict[str, tuple[str, str]]:
    """An admin and an app key made before the gateway starts (so it prints no first keys)."""

    async def seed() -> dict[str, tuple[str, str]]:
        stores = SqlStores.create(database_url)
        made: dict[str, tuple[str, str]] = {}
        try:
            await stores.prepare()
            for name, role in (("admin", Role.ADMIN), ("app", Role.APP)):
                key, key_id = generate_key()
                await stores.keys.add(KeyRecord(key_id, hash_key(key), name, "research", role))
                made[name] = (key, key_id)
        finally:
            await stores.close()
        return made

    return asyncio.run(seed())


def test_no_key_token_or_backend_credential_reaches_the_output(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    seeded = seed_keys(database_url)
    admin_key, _ = seeded["admin"]
    app_key, app_key_id = seeded["app"]
    signer = Signer("rsa", "rsa-1")
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks(signer)))
    token = signer.token(claims(sub="user-42"))
    with serve_in_thread(lambda: SimulatorServer(zero_latency_config((MODEL,)))) as simulator:
        config = tmp_path / "gateway.yaml"
        config.write_text(
            json.dumps(
                {
                    "server": {"host": "127.0.0.1", "port": 0},
                    "backends": [
                        {
                            "name": "sim",
                            "url": f"{simulator}/v1",
                            "auth": {"type": "api-key", "key": BACKEND_SECRET},
                        }
                    ],
                    "pools": {"p": {"members": [{"backend": "sim"}]}},
                    "models": {MODEL: {"pool": "p"}},
                    "database_url": database_url,
                    "auth": {
                        "jwt": [
                            {
                                "issuer": ISSUER,
                                "audience": AUDIENCE,
                                "jwks_file": str(jwks_file),
                                "claims": {"roles": {"Gateway.App": "app"}, "default_team": "web"},
                            }
                        ]
                    },
                }
            )
        )
        args = ("serve", "--config", str(config), "--log-level", "debug")
        with sluicegate(*args, cwd=tmp_path, unset=(DATABASE_ENV,)) as gateway:
            url = gateway.wait_for_banner()
            messages = [{"role": "user", "content": "hello"}]
            client = openai.OpenAI(base_url=f"{url}/v1", api_key=app_key, max_retries=0)
            client.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
            for _ in client.chat.completions.create(
                model=MODEL,
                messages=messages,  # type: ignore[arg-type]
                stream=True,
            ):
                pass
            client.embeddings.create(model=MODEL, input="hello")
            azure = openai.AzureOpenAI(
                azure_endpoint=url, api_key=app_key, api_version="2024-10-21", max_retries=0
            )
            azure.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
            bearer = openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0)
            bearer.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
            wrong_secret = app_key[:-6] + "zzzzzz"  # a real key id with a wrong secret
            unknown = openai.OpenAI(base_url=f"{url}/v1", api_key=wrong_secret, max_retries=0)
            with pytest.raises(openai.AuthenticationError):
                unknown.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
            admin = {"Authorization": f"Bearer {admin_key}"}
            created = httpx.post(
                f"{url}/admin/keys", json={"name": "made-live", "team": "research"}, headers=admin
            )
            assert created.status_code == 201, created.text
            created_key = created.json()["key"]
            made = openai.OpenAI(base_url=f"{url}/v1", api_key=created_key, max_retries=0)
            made.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
            assert httpx.get(f"{url}/admin/usage?by=key", headers=admin).status_code == 200
            gateway.terminate()
            assert gateway.wait(15) == 0
            printed = gateway.stdout.text + gateway.stderr.text

    secrets = {
        "admin key": admin_key,
        "app key": app_key,
        "wrong key": wrong_secret,
        "key created over the admin API": created_key,
        "bearer token": token,
        "backend credential": BACKEND_SECRET,
        "hash of the app key": hash_key(app_key),
    }
    for name, secret in secrets.items():
        assert secret not in printed, f"the {name} appears in the output"
    for name in ("admin key", "app key", "wrong key", "key created over the admin API"):
        secret_part = secrets[name].split("-", 2)[2]  # sg-<key id>-<secret>
        assert secret_part not in printed, f"the secret part of the {name} appears"

    lines = [
        orjson.loads(line)
        for line in gateway.stderr.text.splitlines()
        if line.startswith('{"ts":') and '"event":"request"' in line
    ]
    assert len(lines) == 7
    consumers = [line["consumer"] for line in lines]
    assert consumers.count(app_key_id) == 4
    assert "user-42" in consumers
    assert [line["status"] for line in lines].count(401) == 1
