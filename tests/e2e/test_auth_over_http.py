"""Identity over real sockets: a JWKS issuer on 127.0.0.1 and a small front end running the
auth policy in a chain, called with real `Authorization` and `api-key` headers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from tests.unit.auth_tokens import (
    AUDIENCE,
    ISSUER,
    Signer,
    claims,
    hs256_with_public_key,
    jwks,
    none_token,
)

from sluicegate.config.auth import AuthSettings
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import GatewayError
from sluicegate.core.exchange import Exchange
from sluicegate.core.identity import KeyRecord, Principal, Role
from sluicegate.core.policy import build_chain
from sluicegate.core.reply import Reply
from sluicegate.policies.api_keys import generate_key, hash_key
from sluicegate.policies.auth import AuthPolicy, build_auth_policy
from sluicegate.server.errors import error_response
from sluicegate.server.runner import start_serving
from sluicegate.stores.keys_memory import MemoryKeyStore
from sluicegate.wire.endpoints import Endpoint

pytestmark = pytest.mark.e2e

MIN_REFRESH = 30.0


@dataclass
class Issuer:
    """A JWKS endpoint whose document the test can change (key rotation) or break."""

    document: dict[str, Any]
    status: int = 200
    requests: int = 0

    async def keys(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.status != 200:
            return web.Response(status=self.status, text="unavailable")
        return web.json_response(self.document)


@dataclass
class Front:
    """Runs the policy chain for each POST and records the principal that reached the end."""

    policy: AuthPolicy
    seen: list[Principal | None] = field(default_factory=list)

    async def terminal(self, exchange: Exchange) -> Reply:
        self.seen.append(exchange.principal)
        return Reply(200, body=b"{}")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = orjson.loads(raw)
        exchange = Exchange(
            request_id="e2e",
            endpoint=Endpoint.CHAT,
            raw=raw,
            body=body,
            model=body["model"],
            stream=False,
            include_usage=False,
            client_headers=request.headers,
            started_at=0.0,
            deadline=60.0,
            route=body["model"],
        )
        try:
            reply = await build_chain([self.policy], self.terminal)(exchange)
        except GatewayError as error:
            return error_response(error, {})
        return web.Response(status=reply.status, body=reply.body)


@dataclass
class World:
    issuer: Issuer
    front: Front
    url: str
    http: aiohttp.ClientSession
    clock: ManualClock
    store: MemoryKeyStore
    rsa: Signer
    ec: Signer

    async def call(self, headers: dict[str, str], model: str = "gpt-4o") -> tuple[int, Any]:
        async with self.http.post(
            f"{self.url}/v1/chat/completions",
            json={"model": model, "messages": []},
            headers=headers,
        ) as response:
            return response.status, await response.json(content_type=None)

    async def bearer(self, token: str, model: str = "gpt-4o") -> tuple[int, Any]:
        return await self.call({"Authorization": f"Bearer {token}"}, model)


@pytest.fixture(scope="module")
def signers() -> tuple[Signer, Signer]:
    return Signer("rsa", "rsa-1"), Signer("ec", "ec-1")


@pytest.fixture
async def world(signers: tuple[Signer, Signer]) -> AsyncIterator[World]:
    rsa, ec = signers
    issuer = Issuer(jwks(rsa, ec))
    issuer_app = web.Application()
    issuer_app.router.add_get("/discovery/keys", issuer.keys)
    issuer_serving = await start_serving(issuer_app, "127.0.0.1", 0, grace=0.1)
    clock = ManualClock()
    store = MemoryKeyStore()
    settings = AuthSettings.model_validate(
        {
            "jwt": [
                {
                    "issuer": ISSUER,
                    "audience": AUDIENCE,
                    "jwks_url": f"{issuer_serving.url}/discovery/keys",
                    "algorithms": ["RS256", "ES256"],
                    "jwks_min_refresh_seconds": MIN_REFRESH,
                    "claims": {
                        "roles": {"Gateway.App": "app", "Gateway.Ops": "operator"},
                        "teams": {"group-research": "research"},
                        "models_by_group": {"group-research": ["gpt-4o"]},
                    },
                }
            ]
        }
    )
    policy = build_auth_policy(settings, store, clock=clock)
    front = Front(policy)
    front_app = web.Application()
    front_app.router.add_post("/v1/chat/completions", front.handle)
    front_serving = await start_serving(front_app, "127.0.0.1", 0, grace=0.1)
    http = aiohttp.ClientSession()
    try:
        yield World(issuer, front, front_serving.url, http, clock, store, rsa, ec)
    finally:
        await http.close()
        await front_serving.stop()
        await policy.close()
        await issuer_serving.stop()


async def test_valid_rsa_and_ec_tokens_are_accepted_and_keys_cached(world: World) -> None:
    for signer in (world.rsa, world.ec):
        status, body = await world.bearer(signer.token(claims()))
        assert status == 200, body
    assert (
        world.front.seen
        == [Principal("user-42", "research", Role.APP, models=frozenset({"gpt-4o"}), via="jwt")] * 2
    )
    assert world.issuer.requests == 1


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda s: s.token(claims(exp=int(time.time()) - 3600, nbf=None, iat=None)),
            id="expired",
        ),
        pytest.param(lambda s: s.token(claims(aud="api://other")), id="wrong-audience"),
        pytest.param(lambda s: s.token(claims(iss="https://other.example")), id="wrong-issuer"),
        pytest.param(lambda s: Signer("rsa", "unknown").token(claims()), id="unknown-kid"),
        pytest.param(lambda s: none_token(claims(), s.kid), id="alg-none"),
        pytest.param(lambda s: hs256_with_public_key(s, claims()), id="hs256-public-key"),
    ],
)
async def test_bad_tokens_are_401(world: World, make_token: Any) -> None:
    token = make_token(world.rsa)
    status, body = await world.bearer(token)
    assert status == 401
    assert body["error"]["type"] == "authentication_error"
    assert body["error"]["code"] == "invalid_token"
    assert token not in body["error"]["message"]
    assert world.front.seen == []


async def test_key_rotation_is_picked_up_after_a_refresh(world: World) -> None:
    assert (await world.bearer(world.rsa.token(claims())))[0] == 200
    rotated = Signer("rsa", "rsa-2")
    world.issuer.document = jwks(rotated, world.ec)  # rsa-1 retired, rsa-2 published
    world.clock.advance(MIN_REFRESH)
    status, body = await world.bearer(rotated.token(claims()))
    assert status == 200, body
    assert world.issuer.requests == 2
    status, body = await world.bearer(world.rsa.token(claims()))
    assert status == 401
    assert "kid" in body["error"]["message"]


async def test_unknown_kid_flood_cannot_hammer_the_issuer(world: World) -> None:
    assert (await world.bearer(world.rsa.token(claims())))[0] == 200
    world.clock.advance(MIN_REFRESH)
    for attempt in range(20):
        status, _ = await world.bearer(Signer("ec", f"bogus-{attempt}").token(claims()))
        assert status == 401
    assert world.issuer.requests == 2


async def test_issuer_outage(world: World) -> None:
    world.issuer.status = 503
    status, body = await world.bearer(world.rsa.token(claims()))
    assert status == 503
    assert "signing keys cannot be fetched" in body["error"]["message"]
    world.issuer.status = 200
    world.clock.advance(MIN_REFRESH)
    assert (await world.bearer(world.rsa.token(claims())))[0] == 200
    world.issuer.status = 500
    world.clock.advance(7200)  # keys are stale, the refetch fails: keep using them
    assert (await world.bearer(world.ec.token(claims())))[0] == 200


async def test_operator_token_and_disallowed_model_are_403(world: World) -> None:
    operator = world.rsa.token(claims(roles=["Gateway.Ops"]))
    status, body = await world.bearer(operator)
    assert status == 403
    assert "role 'operator'" in body["error"]["message"]
    status, body = await world.bearer(world.rsa.token(claims()), model="o3")
    assert status == 403
    assert body["error"]["code"] == "permission_denied"
    assert "'o3'" in body["error"]["message"]


async def test_gateway_keys_through_both_headers(world: World) -> None:
    key, key_id = generate_key()
    await world.store.add(
        KeyRecord(key_id, hash_key(key), "svc", "research", Role.APP, frozenset({"gpt-4o"}))
    )
    assert (await world.call({"Authorization": f"Bearer {key}"}))[0] == 200
    assert (await world.call({"API-KEY": key}))[0] == 200
    assert [p.subject if p else None for p in world.front.seen] == [key_id, key_id]
    status, body = await world.call({})
    assert status == 401
    assert "api-key" in body["error"]["message"]
    await world.store.revoke(key_id, datetime.fromtimestamp(world.clock.wall(), UTC))
    world.clock.advance(1.0)
    status, body = await world.call({"api-key": key})
    assert status == 401
    assert "revoked" in body["error"]["message"]
