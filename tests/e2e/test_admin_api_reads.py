"""The admin API over HTTP: teams, quotas, usage, backends, the audit log and the OpenAPI
document."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openai
import pytest
from openai import AsyncOpenAI
from openapi_spec_validator import validate
from tests.e2e.admin_support import MODEL, MODEL_TPM, OTHER_MODEL, TEAM_TPM, AdminStack, admin_stack

from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql import SqlStores

pytestmark = pytest.mark.e2e

MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[AdminStack]:
    async with admin_stack(tmp_path) as started:
        yield started


async def chat(stack: AdminStack, key: str, model: str = MODEL) -> None:
    async with AsyncOpenAI(base_url=f"{stack.url}/v1", api_key=key, max_retries=0) as client:
        await client.chat.completions.create(
            model=model,
            messages=MESSAGES,  # type: ignore[arg-type]
            max_tokens=3,
        )


async def new_key(stack: AdminStack, **fields: Any) -> tuple[str, str]:
    made = await stack.call("POST", "/admin/keys", json={"name": "k", "team": "t", **fields})
    assert made.status == 201, made.body
    return made.body["key"], made.body["record"]["key_id"]


def wall(stack: AdminStack) -> datetime:
    return datetime.fromtimestamp(stack.clock.wall(), UTC)


# --- teams ---------------------------------------------------------------------------------------


async def test_a_team_lives_and_dies_through_the_api(stack: AdminStack) -> None:
    created = await stack.call(
        "PUT", "/admin/teams/research", json={"models": [MODEL, OTHER_MODEL], "tpm": 70_000}
    )
    assert created.status == 201, created.body
    assert created.body["limits"] == {"tpm": 70_000, "rpm": None}
    key, _ = await new_key(stack, team="research")
    await chat(stack, key)

    narrowed = await stack.call("PATCH", "/admin/teams/research", json={"models": [OTHER_MODEL]})
    assert narrowed.status == 200
    assert narrowed.body["models"] == [OTHER_MODEL]
    assert narrowed.body["limits"]["tpm"] == 70_000  # kept: the patch did not name it
    with pytest.raises(openai.PermissionDeniedError):  # this replica applies it at once
        await chat(stack, key)
    quota = await stack.call("GET", "/admin/quotas/team/research", role="operator")
    assert (quota.body["source"], quota.body["limits"]["tpm"]) == ("managed", 70_000)

    replaced = await stack.call("PUT", "/admin/teams/research", json={"budget": "9USD/week"})
    assert replaced.status == 200
    assert replaced.body["models"] == []
    assert replaced.body["limits"] == {"tpm": None, "rpm": None}
    assert replaced.body["budget"] == {"amount_usd": 9.0, "period": "week", "alert_at": 0.8}
    listed = await stack.call("GET", "/admin/teams", role="operator")
    assert [team["name"] for team in listed.body["data"]] == ["research"]

    kept = await stack.call("DELETE", "/admin/teams/research")
    assert kept.status == 409
    assert "1 active key" in kept.error["message"]
    deleted = await stack.call("DELETE", "/admin/teams/research?force=true")
    assert deleted.status == 200
    assert deleted.body == {"name": "research", "deleted": True}
    assert (await stack.call("GET", "/admin/teams/research")).status == 404

    entries = (await stack.call("GET", "/admin/audit")).body["data"]
    assert [(e["action"], e["target"]) for e in entries if e["action"].startswith("team.")] == [
        ("team.create", "research"),
        ("team.update", "research"),
        ("team.update", "research"),
        ("team.delete", "research"),
    ]
    assert {e["actor"] for e in entries} == {f"key:{stack.key_id('admin')}"}


# --- quotas --------------------------------------------------------------------------------------


async def test_quotas_show_the_limits_and_what_the_window_holds(stack: AdminStack) -> None:
    key, key_id = await new_key(stack, tpm=40_000, max_concurrency=3)
    await chat(stack, key)

    own = await stack.call("GET", f"/admin/quotas/key/{key_id}", role="operator")
    assert own.status == 200
    assert own.body["limits"] == {"tpm": 40_000, "rpm": None, "max_concurrency": 3}
    assert own.body["source"] == "key"
    assert own.body["used"]["requests"] == 1
    tokens = own.body["used"]["tokens"]
    assert tokens > 0
    assert own.body["remaining"] == {"tokens": 40_000 - tokens, "requests": None}

    model = await stack.call("GET", f"/admin/quotas/model/{MODEL}")
    assert (model.body["source"], model.body["limits"]["tpm"]) == ("config", MODEL_TPM)
    assert model.body["used"] == {"tokens": tokens, "requests": 1}
    team = await stack.call("GET", "/admin/quotas/team/config-team")
    assert (team.body["source"], team.body["limits"]["tpm"]) == ("config", TEAM_TPM)
    unlimited = await stack.call("GET", "/admin/quotas/team/nobody")
    assert unlimited.body["source"] is None
    assert unlimited.body["remaining"] == {"tokens": None, "requests": None}


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/admin/quotas/user/x", "scope"),
        ("/admin/quotas/key/0123456789ab", "key_id"),
        ("/admin/quotas/model/no-such-model", "subject"),
    ],
)
async def test_an_unknown_quota_subject_is_404(stack: AdminStack, path: str, param: str) -> None:
    reply = await stack.call("GET", path)
    assert reply.status == 404
    assert reply.error["param"] == param


# --- usage ---------------------------------------------------------------------------------------


async def test_usage_sums_the_ledger_per_group(stack: AdminStack) -> None:
    at = wall(stack).replace(hour=1)
    records = [
        UsageRecord(f"r{i}", at, "k1", team, MODEL, "ptu-east", 200, prompt_tokens=10 * (i + 1),
                    completion_tokens=5, cost=0.01)
        for i, team in enumerate(["red", "red", "blue"])
    ]  # fmt: skip
    stores = SqlStores.create(stack.database_url)
    try:
        await stores.ledger.write_batch(records)
    finally:
        await stores.close()
    day = at.date().isoformat()
    reply = await stack.call("GET", f"/admin/usage?by=team&from={day}", role="operator")
    assert reply.status == 200, reply.body
    assert reply.body["by"] == "team"
    assert reply.body["from"] == f"{day}T00:00:00Z"
    rows = {row["group"]: row for row in reply.body["rows"]}
    assert (rows["red"]["requests"], rows["red"]["prompt_tokens"]) == (2, 30)
    assert (rows["blue"]["requests"], rows["blue"]["total_tokens"]) == (1, 35)
    assert reply.body["total"]["requests"] == 3
    assert reply.body["total"]["cost_usd"] == pytest.approx(0.03)
    empty = await stack.call("GET", f"/admin/usage?by=model&to={day}")
    assert empty.body["rows"] == []


# --- backends ------------------------------------------------------------------------------------


async def test_backends_show_their_pools_and_cool_downs(stack: AdminStack) -> None:
    before = await stack.call("GET", "/admin/backends", role="operator")
    assert [b["name"] for b in before.body["data"]] == ["ptu-east", "paygo-west"]
    ptu = before.body["data"][0]
    assert (ptu["kind"], ptu["region"], ptu["cooling_down"]) == ("ptu", "eastus", False)
    assert ptu["pools"] == [{"pool": MODEL, "priority": 1, "weight": 1.0}]

    scripted = {"x-sim-status": "429", "x-sim-retry-after-ms": "30000"}
    refused = await stack.call(
        "POST",
        "/v1/chat/completions",
        role="app",
        json={"model": MODEL, "messages": MESSAGES},
        headers=scripted,
    )
    assert refused.status == 429
    cooling = await stack.call("GET", "/admin/backends")
    for backend in cooling.body["data"]:
        assert backend["cooling_down"] is True
        assert backend["cooling_for_s"] == pytest.approx(30.0)
    stack.clock.advance(12)
    later = await stack.call("GET", "/admin/backends")
    assert [b["cooling_for_s"] for b in later.body["data"]] == [pytest.approx(18.0)] * 2
    stack.clock.advance(18)
    assert not any(
        b["cooling_down"] for b in (await stack.call("GET", "/admin/backends")).body["data"]
    )


# --- the audit log -------------------------------------------------------------------------------


async def test_the_audit_log_pages_by_time_and_count(stack: AdminStack) -> None:
    _, first = await new_key(stack)
    stack.clock.advance(60)
    since = wall(stack)
    _, second = await new_key(stack)
    assert (await stack.call("PUT", "/admin/teams/ops", json={})).status == 201

    everything = (await stack.call("GET", "/admin/audit", role="operator")).body["data"]
    assert [e["target"] for e in everything] == [first, second, "ops"]
    assert [e["id"] for e in everything] == sorted(e["id"] for e in everything)
    recent = await stack.call("GET", f"/admin/audit?since={quote(since.isoformat())}")
    assert [e["target"] for e in recent.body["data"]] == [second, "ops"]
    naive = since.replace(tzinfo=None).isoformat()  # a time without a zone is UTC
    assert (await stack.call("GET", f"/admin/audit?since={naive}")).body == recent.body
    one = await stack.call("GET", "/admin/audit?limit=1")
    assert [e["target"] for e in one.body["data"]] == [first]


# --- the OpenAPI document ------------------------------------------------------------------------


def refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "$ref":
                assert isinstance(value, str)
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def check_structure(document: dict[str, Any]) -> None:
    """What openapi-spec-validator would check that matters here, for when it is absent."""
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"]
    assert document["info"]["version"]
    schemas = document["components"]["schemas"]
    for ref in refs(document):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    operation_ids = []
    for path, item in document["paths"].items():
        declared = {p.strip("{}") for p in path.split("/") if p.startswith("{")}
        for method, operation in item.items():
            assert method in {"get", "put", "post", "patch", "delete"}
            operation_ids.append(operation["operationId"])
            params = operation.get("parameters", [])
            assert {p["name"] for p in params if p["in"] == "path"} == declared
            assert all(p["in"] in {"path", "query"} and "schema" in p for p in params)
            assert all(p["required"] for p in params if p["in"] == "path")
            statuses = set(operation["responses"])
            assert {"401", "403"} <= statuses
            assert any(status.startswith("2") for status in statuses)
            for response in operation["responses"].values():
                assert response["description"]
                (media,) = response["content"]  # JSON, or JSON Lines for a streamed export
                assert media in {"application/json", "application/x-ndjson"}
                assert "schema" in response["content"][media]
    assert len(operation_ids) == len(set(operation_ids))
    json.dumps(document)


async def test_the_openapi_document_describes_every_mounted_route(stack: AdminStack) -> None:
    reply = await stack.call("GET", "/admin/openapi.json", role="operator")
    assert reply.status == 200
    document = reply.body
    check_structure(document)
    validate(document)  # raises on anything OpenAPI 3.1 does not allow

    mounted = {
        (route.method.lower(), route.resource.canonical)
        for route in stack.gateway.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/admin")
        and route.method != "*"
    }
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert mounted == documented
    assert len(mounted) == 39

    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert (schemes["apiKey"]["in"], schemes["apiKey"]["name"]) == ("header", "api-key")
    assert document["security"] == [{"bearer": []}, {"apiKey": []}]

    create = document["paths"]["/admin/keys"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    key_create = document["components"]["schemas"][body.rsplit("/", 1)[1]]
    assert set(key_create["required"]) == {"name", "team"}
    assert key_create["additionalProperties"] is False
    assert "201" in create["responses"]
    usage = document["paths"]["/admin/usage"]["get"]
    assert {p["name"] for p in usage["parameters"]} == {"by", "from", "to"}
