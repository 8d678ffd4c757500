"""`/admin/prompts` over HTTP: who may do what, pushing and reading versions, labels with
splits and protection, history, the audit trail, refusals of bad input and the OpenAPI
document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from tests.e2e.admin_support import AdminStack, admin_stack

from sluicegate.prompts.hashing import content_hash

pytestmark = pytest.mark.e2e

BASE = "/admin/prompts"
SUPPORT = f"{BASE}/support"
# CRLF line ends and trailing blanks: what is pulled back must be byte-for-byte what was pushed.
V1 = (
    "---\r\nname: support\r\ninputs:\r\n  customer: Ada\r\n---\r\n"
    "system:\r\nHelp {{customer}}.  \r\n"
)
V2 = "---\nname: support\ninputs:\n  customer: Ada\n---\nsystem:\nHelp {{customer}} kindly.\n"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[AdminStack]:
    async with admin_stack(tmp_path) as started:
        yield started


async def audit(stack: AdminStack) -> list[dict[str, Any]]:
    reply = await stack.call("GET", "/admin/audit?limit=1000")
    assert reply.status == 200
    entries: list[dict[str, Any]] = reply.body["data"]
    return [entry for entry in entries if entry["action"].startswith("prompt.")]


async def push(stack: AdminStack, source: str, role: str = "admin", **fields: Any) -> Any:
    reply = await stack.call("POST", BASE, role=role, json={"source": source, **fields})
    assert reply.status in (200, 201), reply.body
    return reply.body


async def label(
    stack: AdminStack, name: str, body: dict[str, Any], role: str = "admin"
) -> tuple[int, Any]:
    reply = await stack.call("PUT", f"{SUPPORT}/labels/{name}", role=role, json=body)
    return reply.status, reply.body


# --- who may do what -----------------------------------------------------------------------------


async def test_operators_write_prompts_apps_and_strangers_do_nothing(stack: AdminStack) -> None:
    pushed = await stack.call("POST", BASE, role="operator", json={"source": V1})
    assert pushed.status == 201, pushed.body
    assert pushed.body["version"]["author"] == f"key:{stack.key_id('operator')}"
    for method, path, body in (
        ("GET", BASE, None),
        ("GET", SUPPORT, None),
        ("POST", BASE, {"source": V2}),
        ("PUT", f"{SUPPORT}/labels/staging", {"version": 1}),
        ("DELETE", f"{SUPPORT}/labels/staging", None),
    ):
        refused = await stack.call(method, path, role="app", json=body)
        assert refused.status == 403, (method, path, refused.body)
        anonymous = await stack.call(method, path, role=None, json=body)
        assert anonymous.status == 401
    for role in ("operator", "admin"):
        assert (await stack.call("GET", f"{SUPPORT}/history", role=role)).status == 200
    assert [e["action"] for e in await audit(stack)] == ["prompt.push"]


async def test_protected_labels_are_moved_by_admins_only(stack: AdminStack) -> None:
    await push(stack, V1)
    status, body = await label(stack, "staging", {"version": 1}, role="operator")
    assert status == 200, body
    status, body = await label(stack, "production", {"version": 1}, role="operator")
    assert status == 403
    assert body["error"]["type"] == "permission_error"
    assert "'production' is protected" in body["error"]["message"]
    assert (await stack.call("GET", f"{SUPPORT}/versions/production")).status == 404
    status, body = await label(stack, "production", {"version": 1})
    assert (status, body["changed"]) == (200, True)
    removed = await stack.call("DELETE", f"{SUPPORT}/labels/production", role="operator")
    assert removed.status == 403
    removed = await stack.call("DELETE", f"{SUPPORT}/labels/staging", role="operator")
    assert removed.status == 200
    assert removed.body == {"name": "support", "label": "staging", "deleted": True}
    actors = [(e["action"], e["actor"]) for e in await audit(stack)]
    assert actors == [
        ("prompt.push", f"key:{stack.key_id('admin')}"),
        ("prompt.label", f"key:{stack.key_id('operator')}"),
        ("prompt.label", f"key:{stack.key_id('admin')}"),
        ("prompt.unlabel", f"key:{stack.key_id('operator')}"),
    ]


# --- versions ------------------------------------------------------------------------------------


async def test_the_life_of_a_prompt(stack: AdminStack) -> None:
    first = await push(stack, V1, message="first cut")
    assert first["created"] is True
    assert first["version"]["ref"] == "support@v1"
    assert first["version"]["content_hash"] == content_hash(V1)
    same = await stack.call("POST", BASE, json={"source": V1})
    assert (same.status, same.body["created"], same.body["version"]["version"]) == (200, False, 1)
    second = await push(stack, V2)
    assert (second["version"]["version"], second["version"]["parent"]) == (2, 1)

    shown = await stack.call("GET", f"{SUPPORT}/versions/v1")
    assert shown.status == 200
    assert shown.body["source"] == V1
    assert (shown.body["message"], shown.body["latest"]) == ("first cut", 2)
    assert (await stack.call("GET", f"{SUPPORT}/versions/2")).body["source"] == V2

    prompt = await stack.call("GET", SUPPORT)
    assert [v["version"] for v in prompt.body["versions"]] == [1, 2]
    assert "source" not in prompt.body["versions"][0]
    assert prompt.body["latest"] == 2

    diff = await stack.call("GET", f"{SUPPORT}/diff?from=v1&to=2")
    assert diff.status == 200
    assert (diff.body["from"], diff.body["to"]) == ("support@v1", "support@v2")
    assert "+Help {{customer}} kindly." in diff.body["diff"]

    listing = await stack.call("GET", BASE)
    assert [(p["name"], p["latest"]) for p in listing.body["data"]] == [("support", 2)]
    entries = await audit(stack)
    assert [(e["action"], e["target"], e["details"]["version"]) for e in entries] == [
        ("prompt.push", "support", 1),
        ("prompt.push", "support", 2),
    ]


async def test_an_explicit_name_wins(stack: AdminStack) -> None:
    pushed = await push(stack, V1, name="support-eu")
    assert pushed["version"]["ref"] == "support-eu@v1"
    assert (await stack.call("GET", f"{BASE}/support-eu")).status == 200
    assert (await stack.call("GET", SUPPORT)).status == 404


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({"source": "---\nname: [x\n---\nhi\n"}, "source", "not a valid prompty file: line 3"),
        ({"source": "---\nname: Customer Bot\n---\nhi\n"}, "name", "explicitly"),
        ({"source": V1, "name": "no spaces"}, "name", "is not a prompt name"),
        ({"source": V1, "extra": 1}, "extra", "Unknown field"),
        ({}, "source", "is required"),
    ],
)
async def test_bad_pushes_are_400_naming_the_field(
    stack: AdminStack, body: dict[str, Any], param: str, words: str
) -> None:
    reply = await stack.call("POST", BASE, json=body)
    assert reply.status == 400, reply.body
    assert reply.error["param"] == param
    assert words in reply.error["message"]
    assert (await stack.call("GET", BASE)).body["data"] == []


async def test_unknown_prompts_versions_and_labels_are_404(stack: AdminStack) -> None:
    await push(stack, V1)
    for path in (
        f"{BASE}/nothing",
        f"{SUPPORT}/versions/v9",
        f"{SUPPORT}/versions/staging",
        f"{BASE}/nothing/history",
        f"{SUPPORT}/diff?from=v1&to=v9",
    ):
        reply = await stack.call("GET", path)
        assert reply.status == 404, (path, reply.body)
        assert reply.error["code"] == "not_found"
    missing = await stack.call("DELETE", f"{SUPPORT}/labels/staging")
    assert missing.status == 404
    assert "no label 'staging'" in missing.error["message"]


# --- labels --------------------------------------------------------------------------------------


async def test_labels_split_move_and_keep_their_history(stack: AdminStack) -> None:
    await push(stack, V1)
    await push(stack, V2)
    status, body = await label(stack, "production", {"version": 1, "note": "launch"})
    assert status == 200
    split = [{"version": 1, "weight": 90}, {"version": 2, "weight": 10}]
    status, body = await label(stack, "production", {"targets": split})
    assert (status, body["label"]["targets"], body["changed"]) == (200, split, True)
    status, body = await label(stack, "production", {"targets": split})
    assert body["changed"] is False

    refused = await stack.call("GET", f"{SUPPORT}/versions/production")
    assert refused.status == 400
    assert "splits traffic" in refused.error["message"]
    listing = await stack.call("GET", BASE)
    [labelled] = listing.body["data"][0]["labels"]
    assert (labelled["label"], labelled["targets"]) == ("production", split)

    await label(stack, "production", {"version": 2})
    shown = await stack.call("GET", f"{SUPPORT}/versions/production")
    assert (shown.body["version"], shown.body["labels"]) == (2, ["production"])
    await label(stack, "staging", {"version": 1})
    history = await stack.call("GET", f"{SUPPORT}/history?label=production")
    moves = [(m["before"], m["after"], m["note"]) for m in history.body["data"]]
    assert moves == [
        ([], [{"version": 1, "weight": 1}], "launch"),
        ([{"version": 1, "weight": 1}], split, ""),
        (split, [{"version": 2, "weight": 1}], ""),
    ]
    everything = await stack.call("GET", f"{SUPPORT}/history")
    assert [m["label"] for m in everything.body["data"]] == ["production"] * 3 + ["staging"]


@pytest.mark.parametrize(
    ("path", "body", "status", "param"),
    [
        ("staging", {}, 400, None),
        ("staging", {"version": 1, "targets": [{"version": 1}]}, 400, None),
        ("staging", {"version": 0}, 400, "version"),
        ("staging", {"targets": [{"version": 1}, {"version": 1}]}, 400, "targets"),
        ("staging", {"targets": [{"version": 1, "weight": 0}]}, 400, "targets.0.weight"),
        ("v2", {"version": 1}, 400, "label"),
        ("007", {"version": 1}, 400, "label"),
        ("staging", {"version": 5}, 404, "version"),
    ],
)
async def test_bad_label_moves_are_refused(
    stack: AdminStack, path: str, body: dict[str, Any], status: int, param: str | None
) -> None:
    await push(stack, V1)
    reply = await stack.call("PUT", f"{SUPPORT}/labels/{path}", json=body)
    assert reply.status == status, reply.body
    assert reply.error["param"] == param
    history = await stack.call("GET", f"{SUPPORT}/history")
    assert history.body["data"] == []


# --- the document --------------------------------------------------------------------------------


async def test_the_openapi_document_describes_the_prompt_endpoints(stack: AdminStack) -> None:
    reply = await stack.call("GET", "/admin/openapi.json", role="operator")
    document = reply.body
    validate(document)
    paths = document["paths"]
    access = {
        (method, path): operation["x-sluicegate-access"]
        for path, item in paths.items()
        if path.startswith(BASE)
        for method, operation in item.items()
    }
    assert access == {
        ("get", BASE): "read",
        ("post", BASE): "author",
        ("get", f"{BASE}/{{name}}"): "read",
        ("get", f"{BASE}/{{name}}/versions/{{ref}}"): "read",
        ("get", f"{BASE}/{{name}}/diff"): "read",
        ("put", f"{BASE}/{{name}}/labels/{{label}}"): "author",
        ("delete", f"{BASE}/{{name}}/labels/{{label}}"): "author",
        ("get", f"{BASE}/{{name}}/history"): "read",
    }
    assert {"200", "201", "400", "409"} <= set(paths[BASE]["post"]["responses"])
    diff = paths[f"{BASE}/{{name}}/diff"]["get"]
    assert {p["name"] for p in diff["parameters"]} == {"name", "from", "to"}
    assert document["components"]["schemas"]["PromptPush"]["additionalProperties"] is False
