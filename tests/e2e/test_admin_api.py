"""The admin API over HTTP: who may do what, the life of a key, and refusals of bad input."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest
from openai import AsyncOpenAI
from tests.e2e.admin_support import MODEL, OTHER_MODEL, AdminStack, admin_stack

from sluicegate.policies.api_keys import hash_key

pytestmark = pytest.mark.e2e

MESSAGES = [{"role": "user", "content": "hello"}]
READS = [
    ("GET", "/admin/keys"),
    ("GET", "/admin/keys/{admin}"),
    ("GET", "/admin/teams"),
    ("GET", "/admin/quotas/team/config-team"),
    ("GET", "/admin/usage?by=model"),
    ("GET", "/admin/backends"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/openapi.json"),
]
WRITES = [
    ("POST", "/admin/keys", {"name": "n", "team": "t"}),
    ("PATCH", "/admin/keys/{app}", {"tpm": 10}),
    ("POST", "/admin/keys/{app}/rotate", {}),
    ("POST", "/admin/keys/{app}/revoke", {}),
    ("PUT", "/admin/teams/blue", {}),
    ("PATCH", "/admin/teams/blue", {"tpm": 1}),
    ("DELETE", "/admin/teams/blue", None),
]


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[AdminStack]:
    async with admin_stack(tmp_path) as started:
        yield started


def filled(stack: AdminStack, path: str) -> str:
    return path.format(admin=stack.key_id("admin"), app=stack.key_id("app"))


async def audit(stack: AdminStack) -> list[dict[str, object]]:
    reply = await stack.call("GET", "/admin/audit?limit=1000")
    assert reply.status == 200
    entries: list[dict[str, object]] = reply.body["data"]
    return entries


def sdk(stack: AdminStack, key: str) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=f"{stack.url}/v1", api_key=key, max_retries=0)


async def chat(stack: AdminStack, key: str, model: str = MODEL) -> str | None:
    async with sdk(stack, key) as client:
        reply = await client.chat.completions.create(
            model=model,
            messages=MESSAGES,  # type: ignore[arg-type]
            max_tokens=3,
        )
    return reply.choices[0].message.content


# --- roles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), READS)
async def test_operators_and_admins_read_apps_and_strangers_do_not(
    stack: AdminStack, method: str, path: str
) -> None:
    path = filled(stack, path)
    for role in ("admin", "operator"):
        reply = await stack.call(method, path, role=role)
        assert reply.status == 200, (role, reply.body)
        assert "x-request-id" in reply.headers
    refused = await stack.call(method, path, role="app")
    assert refused.status == 403
    assert refused.error["type"] == "permission_error"
    assert "admin" in refused.error["message"]
    anonymous = await stack.call(method, path, role=None)
    assert anonymous.status == 401
    assert anonymous.error["type"] == "authentication_error"
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_only_admins_change_anything(
    stack: AdminStack, method: str, path: str, body: object
) -> None:
    path = filled(stack, path)
    for role, status in (("app", 403), ("operator", 403), (None, 401)):
        reply = await stack.call(method, path, role=role, json=body)
        assert reply.status == status, (role, reply.body)
    assert await audit(stack) == []  # nothing refused was done
    if path == "/admin/teams/blue" and method in ("PATCH", "DELETE"):
        assert (await stack.call("PUT", path, json={})).status == 201
    reply = await stack.call(method, path, json=body)
    assert reply.status in (200, 201), reply.body
    assert (await audit(stack))[-1]["actor"] == f"key:{stack.key_id('admin')}"


async def test_the_azure_api_key_header_works_too(stack: AdminStack) -> None:
    reply = await stack.call(
        "GET", "/admin/keys", role=None, headers={"api-key": stack.keys["admin"]}
    )
    assert reply.status == 200
    assert {row["key_id"] for row in reply.body["data"]} >= {stack.key_id("admin")}


# --- the life of a key ---------------------------------------------------------------------------


async def test_a_key_made_through_the_api_calls_models_until_it_is_revoked(
    stack: AdminStack,
) -> None:
    made = await stack.call(
        "POST",
        "/admin/keys",
        json={"name": "billing", "team": "finance", "tpm": 50_000, "budget": "50USD/month"},
    )
    assert made.status == 201, made.body
    assert made.headers["Cache-Control"] == "no-store"
    key, record = made.body["key"], made.body["record"]
    key_id = record["key_id"]
    assert key.startswith(f"sg-{key_id}-")
    assert record["status"] == "active"
    assert record["limits"]["tpm"] == 50_000
    assert record["budget"] == {"amount_usd": 50.0, "period": "month", "alert_at": 0.8}
    assert await chat(stack, key)

    shown = await stack.call("GET", f"/admin/keys/{key_id}", role="operator")
    assert shown.body == record
    listed = await stack.call("GET", "/admin/keys?team=finance")
    assert [row["key_id"] for row in listed.body["data"]] == [key_id]
    for reply in (shown, listed):
        assert key not in json.dumps(reply.body)
        assert hash_key(key) not in json.dumps(reply.body)

    narrowed = await stack.call("PATCH", f"/admin/keys/{key_id}", json={"models": [OTHER_MODEL]})
    assert narrowed.status == 200
    assert narrowed.body["models"] == [OTHER_MODEL]
    with pytest.raises(openai.PermissionDeniedError):  # this replica applies it at once
        await chat(stack, key)
    assert await chat(stack, key, OTHER_MODEL)

    revoked = await stack.call("POST", f"/admin/keys/{key_id}/revoke")
    assert revoked.status == 200
    assert revoked.body["status"] == "revoked"
    with pytest.raises(openai.AuthenticationError) as caught:  # no wait: the cache was dropped
        await chat(stack, key, OTHER_MODEL)
    assert caught.value.status_code == 401
    again = await stack.call("POST", f"/admin/keys/{key_id}/revoke")
    assert again.body["revoked_at"] == revoked.body["revoked_at"]

    admin = f"key:{stack.key_id('admin')}"
    entries = await audit(stack)
    assert [(e["action"], e["target"], e["actor"]) for e in entries] == [
        ("key.create", key_id, admin),
        ("key.update", key_id, admin),
        ("key.revoke", key_id, admin),
        ("key.revoke", key_id, admin),
    ]
    assert entries[1]["details"] == {"models": [OTHER_MODEL]}
    assert entries[3]["details"]["already_revoked"] is True
    assert key not in json.dumps(entries)
    assert hash_key(key) not in json.dumps(entries)


async def test_rotation_hands_out_a_new_key_and_retires_the_old(stack: AdminStack) -> None:
    made = await stack.call("POST", "/admin/keys", json={"name": "etl", "team": "data", "rpm": 99})
    old_key, old_id = made.body["key"], made.body["record"]["key_id"]
    assert await chat(stack, old_key)

    graceful = await stack.call(
        "POST", f"/admin/keys/{old_id}/rotate", json={"grace_seconds": 3600}
    )
    assert graceful.status == 201, graceful.body
    new_key, new = graceful.body["key"], graceful.body["record"]
    assert graceful.body["replaced"]["status"] == "retiring"
    assert (new["name"], new["team"], new["limits"]["rpm"]) == ("etl", "data", 99)
    assert await chat(stack, old_key)  # the grace period runs
    assert await chat(stack, new_key)

    at_once = await stack.call("POST", f"/admin/keys/{new['key_id']}/rotate")
    assert at_once.status == 201
    assert at_once.body["replaced"]["status"] == "revoked"
    with pytest.raises(openai.AuthenticationError):
        await chat(stack, new_key)
    assert await chat(stack, at_once.body["key"])

    dead = await stack.call("POST", f"/admin/keys/{new['key_id']}/rotate")
    assert dead.status == 409
    assert "revoked" in dead.error["message"]
    rotations = [e for e in await audit(stack) if e["action"] == "key.rotate"]
    assert [(e["target"], e["details"]["replaced_by"]) for e in rotations] == [
        (old_id, new["key_id"]),
        (new["key_id"], at_once.body["record"]["key_id"]),
    ]


async def test_a_patch_keeps_what_it_does_not_name_and_null_removes(stack: AdminStack) -> None:
    made = await stack.call(
        "POST",
        "/admin/keys",
        json={"name": "n", "team": "t", "tpm": 10, "rpm": 5, "budget": "5USD/day"},
    )
    key_id = made.body["record"]["key_id"]
    patched = await stack.call(
        "PATCH", f"/admin/keys/{key_id}", json={"tpm": None, "budget_alert_at": 0.5}
    )
    assert patched.status == 200, patched.body
    assert patched.body["limits"] == {"tpm": None, "rpm": 5, "max_concurrency": None}
    assert patched.body["budget"] == {"amount_usd": 5.0, "period": "day", "alert_at": 0.5}
    unchanged = await stack.call("PATCH", f"/admin/keys/{key_id}", json={})
    assert unchanged.body == patched.body
    assert [e["action"] for e in await audit(stack)] == ["key.create", "key.update"]


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"name": "n", "team": "t", "tpm": -5}, "tpm"),
        ({"name": "n", "team": "t", "colour": "red"}, "colour"),
        ({"name": "n", "team": "t", "budget": "lots/forever"}, "budget"),
        ({"name": "n", "team": "t", "budget_alert_at": 0.5}, "budget_alert_at"),
        ({"name": "n", "team": "t", "role": "boss"}, "role"),
        ({"name": "n", "team": "t", "models": ["gpt 4o"]}, "models"),
        ({"name": "n", "team": "t", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "n", "team": "t", "expires_at": "soon"}, "expires_at"),
        ({"name": " ", "team": "t"}, "name"),
        ({"team": "t"}, "name"),
    ],
)
async def test_bad_fields_are_400_naming_the_field(
    stack: AdminStack, body: dict[str, object], param: str
) -> None:
    reply = await stack.call("POST", "/admin/keys", json=body)
    assert reply.status == 400, reply.body
    assert reply.error["param"] == param
    assert reply.error["type"] == "invalid_request_error"
    assert await audit(stack) == []


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("POST", "/admin/keys", b'{"name": "n",'),
        ("POST", "/admin/keys", b"[1, 2]"),
        ("PATCH", "/admin/keys/{app}", b"not json"),
        ("PUT", "/admin/teams/red", b"\xff\xfe"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_400(
    stack: AdminStack, method: str, path: str, data: bytes
) -> None:
    reply = await stack.call(
        method, filled(stack, path), data=data, headers={"Content-Type": "application/json"}
    )
    assert reply.status == 400, reply.body
    assert reply.error["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("method", "path", "body", "param"),
    [
        ("PATCH", "/admin/keys/{app}", {"name": None}, "name"),
        ("PATCH", "/admin/keys/{app}", {"max_concurrency": 0}, "max_concurrency"),
        ("PATCH", "/admin/keys/{app}", {"budget_alert_at": 0.5}, "budget_alert_at"),
        ("POST", "/admin/keys/{app}/rotate", {"grace_seconds": -1}, "grace_seconds"),
        ("POST", "/admin/keys/{app}/revoke", {"now": True}, "now"),
        ("PUT", "/admin/teams/red", {"tpm": -1}, "tpm"),
        ("PUT", "/admin/teams/bad name", {}, "name"),
        ("GET", "/admin/audit?limit=0", None, "limit"),
        ("GET", "/admin/audit?since=yesterday-ish", None, "since"),
        ("GET", "/admin/usage?by=colour", None, "by"),
        ("GET", "/admin/usage?from=2030-01-01&to=2029-01-01", None, "from"),
        ("GET", "/admin/keys?teem=x", None, "teem"),
        ("DELETE", "/admin/teams/red?force=perhaps", None, "force"),
    ],
)
async def test_other_bad_input_is_400_naming_the_parameter(
    stack: AdminStack, method: str, path: str, body: object, param: str
) -> None:
    reply = await stack.call(method, filled(stack, path), json=body)
    assert reply.status == 400, reply.body
    assert reply.error["param"] == param


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("PATCH", ""), ("POST", "/rotate"), ("POST", "/revoke")],
)
async def test_an_unknown_key_id_is_404(stack: AdminStack, method: str, suffix: str) -> None:
    reply = await stack.call(method, f"/admin/keys/0123456789ab{suffix}", json={})
    assert reply.status == 404
    assert reply.error["code"] == "not_found"
    assert "0123456789ab" in reply.error["message"]


async def test_a_key_in_place_of_its_id_is_refused_without_echoing_it(stack: AdminStack) -> None:
    app_key = stack.keys["app"]
    reply = await stack.call("GET", f"/admin/keys/{app_key}")
    assert reply.status == 400
    assert reply.error["param"] == "key_id"
    assert app_key not in json.dumps(reply.body)


async def test_an_unserved_method_is_405_naming_the_allowed_ones(stack: AdminStack) -> None:
    reply = await stack.call("DELETE", "/admin/keys")
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, POST"


# --- when the admin API is served ----------------------------------------------------------------


async def test_without_authentication_the_admin_api_is_not_there(tmp_path: Path) -> None:
    async with admin_stack(tmp_path, auth=False, ledger=True) as stack:
        for path in ("/admin/keys", "/admin/backends", "/admin/openapi.json"):
            reply = await stack.call("GET", path, role=None)
            assert reply.status == 404
        made = await stack.call("POST", "/admin/keys", role=None, json={"name": "n", "team": "t"})
        assert made.status == 404


async def test_it_can_be_turned_off(tmp_path: Path) -> None:
    async with admin_stack(tmp_path, admin={"enabled": False}) as stack:
        assert (await stack.call("GET", "/admin/keys")).status == 404


async def test_served_without_authentication_only_when_asked(tmp_path: Path) -> None:
    async with admin_stack(
        tmp_path, auth=False, ledger=True, admin={"without_auth": True}
    ) as stack:
        made = await stack.call("POST", "/admin/keys", role=None, json={"name": "n", "team": "t"})
        assert made.status == 201
        [entry] = await audit_anonymously(stack)
        assert (entry["action"], entry["actor"]) == ("key.create", "anonymous")
        document = await stack.call("GET", "/admin/openapi.json", role=None)
        assert document.body["security"] == []


async def test_without_a_database_only_what_needs_none_is_served(tmp_path: Path) -> None:
    async with admin_stack(tmp_path, auth=False, admin={"without_auth": True}) as stack:
        assert (await stack.call("GET", "/admin/backends", role=None)).status == 200
        assert (await stack.call("GET", "/admin/quotas/model/gpt-4o", role=None)).status == 200
        assert (await stack.call("GET", "/admin/keys", role=None)).status == 404
        document = await stack.call("GET", "/admin/openapi.json", role=None)
        assert sorted(document.body["paths"]) == [
            "/admin/backends",
            "/admin/openapi.json",
            "/admin/quotas/{scope}/{subject}",
        ]


async def audit_anonymously(stack: AdminStack) -> list[dict[str, object]]:
    reply = await stack.call("GET", "/admin/audit", role=None)
    assert reply.status == 200
    entries: list[dict[str, object]] = reply.body["data"]
    return entries
