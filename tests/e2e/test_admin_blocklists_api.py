"""`/admin/blocklists` over HTTP: who may do what, the life of a list, the audit trail, refusals
of bad input, the OpenAPI document, and telling this replica of a change."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from openapi_spec_validator import validate
from tests.e2e.admin_support import AdminStack, admin_stack

from sluicegate.admin.blocklist_specs import (
    MAX_PATTERN_LENGTH,
    MAX_PATTERNS,
    MAX_TERM_LENGTH,
    MAX_TERMS,
)
from sluicegate.admin.blocklists import BlocklistAdmin
from sluicegate.core.clock import ManualClock
from sluicegate.server.admin.blocklists import BlocklistEndpoints, BlocklistsChanged
from sluicegate.server.admin.endpoints import Guard, serve
from sluicegate.server.runner import start_serving
from sluicegate.stores.audit_memory import MemoryAuditLog
from sluicegate.stores.blocklists_memory import MemoryBlocklistStore
from sluicegate.stores.sql import SqlStores

pytestmark = pytest.mark.e2e

LIST = "/admin/blocklists/competitors"
SECRET = "Project Nightjar"
FULL = {
    "terms": ["ContosoAI", SECRET],
    "patterns": [r"\bfalcon\s*\d+\b"],
    "description": "Competitors' product names",
}


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[AdminStack]:
    async with admin_stack(tmp_path) as started:
        yield started


async def audit(stack: AdminStack) -> list[dict[str, Any]]:
    reply = await stack.call("GET", "/admin/audit?limit=1000")
    assert reply.status == 200
    entries: list[dict[str, Any]] = reply.body["data"]
    return [entry for entry in entries if entry["action"].startswith("blocklist.")]


def wall(stack: AdminStack) -> str:
    return datetime.fromtimestamp(stack.clock.wall(), UTC).isoformat().replace("+00:00", "Z")


# --- roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/blocklists", LIST])
async def test_operators_and_admins_read_apps_and_strangers_do_not(
    stack: AdminStack, path: str
) -> None:
    assert (await stack.call("PUT", LIST, json=FULL)).status == 201
    for role in ("admin", "operator"):
        reply = await stack.call("GET", path, role=role)
        assert reply.status == 200, (role, reply.body)
    refused = await stack.call("GET", path, role="app")
    assert refused.status == 403
    assert refused.error["type"] == "permission_error"
    assert SECRET not in json.dumps(refused.body)
    assert (await stack.call("GET", path, role=None)).status == 401


@pytest.mark.parametrize(
    ("method", "body"),
    [("PUT", FULL), ("PATCH", {"add_terms": ["x"]}), ("DELETE", None)],
)
async def test_only_admins_change_a_list(stack: AdminStack, method: str, body: object) -> None:
    if method != "PUT":
        assert (await stack.call("PUT", LIST, json={"terms": ["seed"]})).status == 201
    before = await audit(stack)
    for role, status in (("app", 403), ("operator", 403), (None, 401)):
        reply = await stack.call(method, LIST, role=role, json=body)
        assert reply.status == status, (role, reply.body)
    assert await audit(stack) == before  # nothing refused was done
    reply = await stack.call(method, LIST, json=body)
    assert reply.status in (200, 201), reply.body
    assert (await audit(stack))[-1]["actor"] == f"key:{stack.key_id('admin')}"


# --- the life of a list --------------------------------------------------------------------


async def test_a_list_lives_and_dies_through_the_api(stack: AdminStack) -> None:
    created = await stack.call("PUT", LIST, json=FULL)
    assert created.status == 201, created.body
    assert created.headers["Cache-Control"] == "no-store"
    born = wall(stack)
    assert created.body == {"name": "competitors", **FULL, "created_at": born, "updated_at": born}
    shown = await stack.call("GET", LIST, role="operator")
    assert shown.body == created.body

    await stack.call("PUT", "/admin/blocklists/aaa", json={})
    listed = await stack.call("GET", "/admin/blocklists", role="operator")
    assert listed.body["data"] == [
        {
            "name": "aaa",
            "description": "",
            "term_count": 0,
            "pattern_count": 0,
            "created_at": born,
            "updated_at": born,
        },
        {
            "name": "competitors",
            "description": FULL["description"],
            "term_count": 2,
            "pattern_count": 1,
            "created_at": born,
            "updated_at": born,
        },
    ]
    assert SECRET not in json.dumps(listed.body)  # the listing shows counts, not entries

    stack.clock.advance(30)
    patched = await stack.call(
        "PATCH",
        LIST,
        json={
            "add_terms": ["Fabrikam GPT", "contosoai"],
            "remove_terms": [SECRET.upper()],
            "add_patterns": [r"code[- ]name \d+"],
            "remove_patterns": [r"\bfalcon\s*\d+\b"],
        },
    )
    assert patched.status == 200, patched.body
    assert patched.body["terms"] == ["ContosoAI", "Fabrikam GPT"]
    assert patched.body["patterns"] == [r"code[- ]name \d+"]
    assert patched.body["description"] == FULL["description"]  # not named: kept
    assert (patched.body["created_at"], patched.body["updated_at"]) == (born, wall(stack))

    cleared = await stack.call("PATCH", LIST, json={"description": None})
    assert cleared.body["description"] == ""
    unchanged = await stack.call("PATCH", LIST, json={"add_terms": ["FABRIKAM gpt"]})
    assert unchanged.body == cleared.body

    replaced = await stack.call("PUT", LIST, json={"patterns": ["only"]})
    assert replaced.status == 200
    assert (replaced.body["terms"], replaced.body["patterns"]) == ([], ["only"])
    assert replaced.body["created_at"] == born

    deleted = await stack.call("DELETE", LIST)
    assert (deleted.status, deleted.body) == (200, {"name": "competitors", "deleted": True})
    gone = await stack.call("GET", LIST)
    assert gone.status == 404
    assert gone.error["code"] == "not_found"

    entries = await audit(stack)
    admin = f"key:{stack.key_id('admin')}"
    assert [(e["action"], e["target"], e["actor"]) for e in entries] == [
        ("blocklist.create", "competitors", admin),
        ("blocklist.create", "aaa", admin),
        ("blocklist.update", "competitors", admin),
        ("blocklist.update", "competitors", admin),
        ("blocklist.update", "competitors", admin),
        ("blocklist.delete", "competitors", admin),
    ]
    assert entries[0]["details"] == {"terms": 2, "patterns": 1}
    assert entries[2]["details"] == {
        "terms": 2,
        "patterns": 1,
        "terms_added": 1,
        "terms_removed": 1,
        "patterns_added": 1,
        "patterns_removed": 1,
        "description_changed": False,
    }
    assert entries[4]["details"]["replaced"] is True
    assert entries[5]["details"] == {"terms": 0, "patterns": 1}
    logged = json.dumps(entries).lower()
    assert "nightjar" not in logged
    assert "contoso" not in logged


async def test_what_the_api_stores_is_in_the_database(stack: AdminStack) -> None:
    assert (await stack.call("PUT", LIST, json=FULL)).status == 201
    stores = SqlStores.create(stack.database_url)
    try:
        record = await stores.blocklists.get("competitors")
    finally:
        await stores.close()
    assert record is not None
    assert (list(record.terms), list(record.patterns)) == (FULL["terms"], FULL["patterns"])


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"add_terms": ["x"]}), ("DELETE", None)]
)
async def test_an_unknown_list_is_404(stack: AdminStack, method: str, body: object) -> None:
    reply = await stack.call(method, "/admin/blocklists/ghost", json=body)
    assert reply.status == 404
    assert reply.error["code"] == "not_found"
    assert "ghost" in reply.error["message"]
    assert await audit(stack) == []


# --- bad input: 400 in OpenAI's shape, never a 500 -----------------------------------------


@pytest.mark.parametrize(
    ("method", "body", "param", "says"),
    [
        ("PUT", {"patterns": ["(unclosed"]}, "patterns", "(unclosed"),
        ("PUT", {"patterns": ["(a+)+"]}, "patterns", "exponential time"),
        ("PUT", {"patterns": ["x?"]}, "patterns", "matches the empty string"),
        ("PUT", {"patterns": ["ok", "[z-a]"]}, "patterns", ""),
        ("PUT", {"patterns": [""]}, "patterns", "must not be empty"),
        ("PUT", {"patterns": ["a\u0000b"]}, "patterns", "control character"),
        ("PUT", {"terms": ["   "]}, "terms", "must not be empty"),
        ("PUT", {"terms": ["two\nlines"]}, "terms", "control character"),
        ("PUT", {"terms": ["x" * (MAX_TERM_LENGTH + 1)]}, "terms.0", "at most 200"),
        ("PUT", {"patterns": ["x" * (MAX_PATTERN_LENGTH + 1)]}, "patterns.0", "at most 1000"),
        ("PUT", {"terms": ["t"] * (MAX_TERMS + 1)}, "terms", "at most 10000"),
        ("PUT", {"patterns": ["p"] * (MAX_PATTERNS + 1)}, "patterns", "at most 1000"),
        ("PUT", {"description": "d" * 501}, "description", "at most 500"),
        ("PUT", {"terms": "ContosoAI"}, "terms", "list"),
        ("PUT", {"terms": ["a", 5]}, "terms.1", "string"),
        ("PUT", {"colour": "red"}, "colour", "Unknown field"),
        ("PATCH", {"add_patterns": ["(unclosed"]}, "add_patterns", "(unclosed"),
        ("PATCH", {"add_terms": ["x"], "remove_terms": ["X"]}, "remove_terms", "also in"),
        ("PATCH", {"remove_patterns": ["p"] * (MAX_PATTERNS + 1)}, "remove_patterns", "1000"),
        ("PATCH", {"description": "two\nlines"}, "description", "one line"),
        ("PATCH", {"terms": ["x"]}, "terms", "Unknown field"),
    ],
)
async def test_bad_content_is_400_naming_the_field(
    stack: AdminStack, method: str, body: dict[str, object], param: str, says: str
) -> None:
    if method == "PATCH":
        assert (await stack.call("PUT", LIST, json={"terms": ["seed"]})).status == 201
    before = await audit(stack)
    reply = await stack.call(method, LIST, json=body)
    assert reply.status == 400, reply.body
    assert reply.error["type"] == "invalid_request_error"
    assert reply.error["param"] == param
    assert says in reply.error["message"]
    assert len(reply.error["message"]) < 400
    assert await audit(stack) == before
    shown = await stack.call("GET", LIST)
    assert shown.status == (200 if method == "PATCH" else 404)
    if method == "PATCH":
        assert shown.body["terms"] == ["seed"]


async def test_a_patch_may_not_grow_a_list_past_its_bounds(stack: AdminStack) -> None:
    full = [f"t{n}" for n in range(MAX_TERMS)]
    assert (await stack.call("PUT", LIST, json={"terms": full})).status == 201
    reply = await stack.call("PATCH", LIST, json={"add_terms": ["one more"]})
    assert reply.status == 400
    assert reply.error["param"] == "add_terms"
    assert "10,001 terms" in reply.error["message"]


@pytest.mark.parametrize(
    ("method", "path", "param"),
    [
        ("PUT", "/admin/blocklists/bad%20name", "name"),
        ("PUT", f"/admin/blocklists/{'x' * 65}", "name"),
        ("PUT", "/admin/blocklists/a:b", "name"),
    ],
)
async def test_a_bad_name_is_400(stack: AdminStack, method: str, path: str, param: str) -> None:
    reply = await stack.call(method, path, json={})
    assert reply.status == 400, reply.body
    assert reply.error["param"] == param
    assert "a blocklist name is 1 to 64" in reply.error["message"]


@pytest.mark.parametrize("data", [b'{"terms": [', b"[1, 2]", b"\xff\xfe", b"null"])
async def test_a_body_that_is_not_a_json_object_is_400(stack: AdminStack, data: bytes) -> None:
    for method in ("PUT", "PATCH"):
        reply = await stack.call(
            method, LIST, data=data, headers={"Content-Type": "application/json"}
        )
        assert reply.status == 400, reply.body
        assert reply.error["code"] == "invalid_json"


async def test_an_unserved_method_is_405(stack: AdminStack) -> None:
    reply = await stack.call("POST", "/admin/blocklists")
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET"


# --- the OpenAPI document ------------------------------------------------------------------


async def test_the_openapi_document_describes_the_blocklist_endpoints(stack: AdminStack) -> None:
    reply = await stack.call("GET", "/admin/openapi.json", role="operator")
    document = reply.body
    validate(document)
    paths = document["paths"]
    assert set(paths["/admin/blocklists"]) == {"get"}
    assert set(paths["/admin/blocklists/{name}"]) == {"get", "put", "patch", "delete"}
    one = paths["/admin/blocklists/{name}"]
    assert one["get"]["x-sluicegate-access"] == "read"
    assert {one[m]["x-sluicegate-access"] for m in ("put", "patch", "delete")} == {"write"}
    assert {"200", "201", "400"} <= set(one["put"]["responses"])
    assert "404" in one["patch"]["responses"]
    schemas = document["components"]["schemas"]
    put = schemas["BlocklistPut"]
    assert put["additionalProperties"] is False
    assert put["properties"]["terms"]["maxItems"] == MAX_TERMS
    assert put["properties"]["terms"]["items"]["maxLength"] == MAX_TERM_LENGTH
    assert put["properties"]["patterns"]["items"]["maxLength"] == MAX_PATTERN_LENGTH
    assert set(schemas["BlocklistPatch"]["properties"]) == {
        "add_terms",
        "remove_terms",
        "add_patterns",
        "remove_patterns",
        "description",
    }


# --- telling this replica ------------------------------------------------------------------


class Replica:
    """The safety policy's side of the callback: records the names it was told of."""

    def __init__(self, *, fail: bool = False) -> None:
        self.reloaded: list[str] = []
        self.fail = fail

    async def changed(self, name: str) -> None:
        if self.fail:
            raise RuntimeError("the store is down")
        self.reloaded.append(name)


async def serve_blocklists(changed: BlocklistsChanged) -> tuple[str, Any]:
    """Just the blocklist endpoints on a real socket, every caller an admin."""
    clock = ManualClock()
    admin = BlocklistAdmin(MemoryBlocklistStore(clock=clock), MemoryAuditLog(), clock)
    app = web.Application()
    for endpoint in BlocklistEndpoints(admin, changed).endpoints():
        app.router.add_route(endpoint.method, endpoint.path, serve(endpoint, Guard(None)))
    serving = await start_serving(app, "127.0.0.1", 0, grace=0.5)
    return serving.url, serving


async def test_this_replica_has_reloaded_before_the_answer_comes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    replica = Replica()
    url, serving = await serve_blocklists(replica.changed)
    try:
        async with aiohttp.ClientSession() as http:

            async def call(method: str, path: str, body: object = None) -> int:
                async with http.request(method, f"{url}{path}", json=body) as response:
                    await response.read()
                    return response.status

            assert await call("PUT", "/admin/blocklists/a", {"terms": ["x"]}) == 201
            assert replica.reloaded == ["a"]
            assert await call("PATCH", "/admin/blocklists/a", {"add_terms": ["y"]}) == 200
            assert await call("DELETE", "/admin/blocklists/a") == 200
            assert replica.reloaded == ["a", "a", "a"]
            assert await call("PATCH", "/admin/blocklists/a", {"add_terms": ["y"]}) == 404
            assert await call("PUT", "/admin/blocklists/b", {"patterns": ["("]}) == 400
            assert await call("GET", "/admin/blocklists") == 200
            assert replica.reloaded == ["a", "a", "a"]  # refusals and reads tell nobody

            replica.fail = True
            assert await call("PUT", "/admin/blocklists/c", {"terms": ["z"]}) == 201
            assert await call("GET", "/admin/blocklists/c") == 200  # stored all the same
    finally:
        await serving.stop()
    assert "blocklist 'c' changed, but reloading it now failed" in caplog.text


async def test_a_plain_function_is_told_too() -> None:
    told: list[str] = []
    url, serving = await serve_blocklists(told.append)
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.put(f"{url}/admin/blocklists/plain", json={"terms": ["x"]}) as response,
        ):
            assert response.status == 201
    finally:
        await serving.stop()
    assert told == ["plain"]
