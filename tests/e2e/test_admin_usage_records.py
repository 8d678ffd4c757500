"""`GET /admin/usage/records` over HTTP: the ledger as JSON Lines, streamed, filtered, guarded,
and described in the OpenAPI document; and how a streamed admin answer fails."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from tests.e2e.admin_support import MODEL, OTHER_MODEL, AdminStack, admin_stack
from tests.e2e.support import served
from tests.records import usage_record

from sluicegate.admin.usage_export import FIELDS
from sluicegate.core.ledger import UsageRecord
from sluicegate.server.admin.endpoints import Answer, Call, Endpoint, Guard, Lines, serve
from sluicegate.stores.sql import SqlStores, StoreUnavailable

pytestmark = pytest.mark.e2e

DAY = datetime(2026, 11, 3, tzinfo=UTC)
RANGE = "from=2026-11-03&to=2026-11-04"
COUNT = 2500
"""More than two of the SQL ledger's batches of 1000."""


def record(n: int) -> UsageRecord:
    """Request n of the day: every 30 s, alternately team red and blue, every fifth one on the
    other model, every seventh one failed."""
    return usage_record(
        f"r{n:05d}",
        DAY + timedelta(seconds=30 * n),
        subject=f"key-{n % 3}",
        team="red" if n % 2 == 0 else "blue",
        model=OTHER_MODEL if n % 5 == 0 else MODEL,
        status=502 if n % 7 == 0 else 200,
        prompt_tokens=100 + n,
        completion_tokens=n % 50 + 1,
        stream=n % 2 == 0,
    )


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[AdminStack]:
    async with admin_stack(tmp_path) as started:
        stores = SqlStores.create(started.database_url)
        try:
            records = [record(n) for n in range(COUNT)]
            await stores.ledger.write_batch(records[::-1])  # stored newest first
            await stores.ledger.write_batch([usage_record("day-before", DAY - timedelta(days=1))])
        finally:
            await stores.close()
        yield started


async def fetch(
    stack: AdminStack, query: str, role: str | None = "operator"
) -> tuple[int, str, str]:
    headers = {"Authorization": f"Bearer {stack.keys[role]}"} if role is not None else {}
    async with stack.http.get(f"{stack.url}/admin/usage/records?{query}", headers=headers) as r:
        return r.status, r.headers.get("Content-Type", ""), await r.text()


def lines(body: str) -> list[dict[str, Any]]:
    assert body.endswith("\n") or body == ""
    return [json.loads(line) for line in body.splitlines()]


async def test_a_day_streams_as_one_line_per_request_in_time_order(stack: AdminStack) -> None:
    headers = {"Authorization": f"Bearer {stack.keys['operator']}"}
    url = f"{stack.url}/admin/usage/records?{RANGE}"
    async with stack.http.get(url, headers=headers) as response:
        assert response.status == 200
        assert response.content_type == "application/x-ndjson"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["x-request-id"]
        assert response.headers.get("Transfer-Encoding") == "chunked"
        body = await response.text()
    got = lines(body)
    assert len(got) == COUNT  # not "day-before"
    assert [line["request_id"] for line in got] == [f"r{n:05d}" for n in range(COUNT)]
    assert all(tuple(line) == FIELDS for line in got)
    assert got[1] == {
        "timestamp": "2026-11-03T00:00:30Z",
        "request_id": "r00001",
        "model": MODEL,
        "prompt_tokens": 101,
        "completion_tokens": 2,
        "cached_tokens": 0,
        "backend": "ptu-east",
        "status": 200,
        "latency_ms": 0.0,
        "ttft_ms": None,
        "stream": False,
        "team": "blue",
        "subject": "key-1",
        "prompt_version": None,
        "cost_usd": 0.0,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"{RANGE}&team=red", [n for n in range(COUNT) if n % 2 == 0]),
        (f"{RANGE}&model={OTHER_MODEL}", [n for n in range(COUNT) if n % 5 == 0]),
        (f"{RANGE}&model={OTHER_MODEL}&team=blue&limit=3", [5, 15, 25]),
        ("from=2026-11-03T00:01:00Z&to=2026-11-03T00:02:30Z", [2, 3, 4]),
        ("from=2026-11-03T01:01:00%2B01:00&to=2026-11-03T00:01:30Z", [2]),
        ("from=2026-11-05&to=2026-11-06", []),
    ],
)
async def test_filters(stack: AdminStack, query: str, expected: list[int]) -> None:
    status, _, body = await fetch(stack, query)
    assert status == 200, body
    assert [line["request_id"] for line in lines(body)] == [f"r{n:05d}" for n in expected]


@pytest.mark.parametrize(
    ("query", "param", "says"),
    [
        ("from=soon", "from", "from 'soon' is not a time"),
        ("from=2026-11-04&to=2026-11-03", "from", "must be earlier than to"),
        (f"{RANGE}&limit=0", "limit", "greater than or equal to 1"),
        (f"{RANGE}&limit=many", "limit", "valid integer"),
        (f"{RANGE}&model=", "model", "model must name a model route"),
        (f"{RANGE}&by=team", "by", "Unknown query parameter 'by'"),
    ],
)
async def test_bad_parameters_are_400_naming_them(
    stack: AdminStack, query: str, param: str, says: str
) -> None:
    status, content_type, body = await fetch(stack, query)
    assert status == 400
    assert content_type.startswith("application/json")
    error = json.loads(body)["error"]
    assert error["param"] == param
    assert says in error["message"]


async def test_only_admins_and_operators_may_read_it(stack: AdminStack) -> None:
    assert (await fetch(stack, RANGE, role="admin"))[0] == 200
    status, _, body = await fetch(stack, RANGE, role="app")
    assert status == 403
    assert "may call models but not use the admin API" in json.loads(body)["error"]["message"]
    status, _, body = await fetch(stack, RANGE, role=None)
    assert status == 401
    assert "r00001" not in body


async def test_the_openapi_document_describes_the_lines(stack: AdminStack) -> None:
    reply = await stack.call("GET", "/admin/openapi.json", role="operator")
    operation = reply.body["paths"]["/admin/usage/records"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "model", "team", "limit"}
    assert operation["x-sluicegate-access"] == "read"
    assert "JSON Lines" in operation["description"]
    ok = operation["responses"]["200"]["content"]
    assert list(ok) == ["application/x-ndjson"]
    line = ok["application/x-ndjson"]["schema"]["$ref"].rsplit("/", 1)[1]
    schema = reply.body["components"]["schemas"][line]
    assert list(schema["properties"]) == list(FIELDS)
    assert schema["additionalProperties"] is False
    assert list(operation["responses"]["400"]["content"]) == ["application/json"]


# --- how a streamed answer fails -----------------------------------------------------------------


def streaming_app(lines: Callable[[], AsyncGenerator[bytes, None]]) -> web.Application:
    """One admin endpoint, open to all, whose answer is `lines()`."""

    async def handler(call: Call) -> Answer:
        return Answer(Lines(lines()))

    endpoint = Endpoint("GET", "/admin/lines", handler, "lines", "read", "usage", None)
    app = web.Application()
    app.router.add_get("/admin/lines", serve(endpoint, Guard(None)))
    return app


@asynccontextmanager
async def answered(
    lines: Callable[[], AsyncGenerator[bytes, None]],
) -> AsyncIterator[aiohttp.ClientResponse]:
    """The answer of that endpoint, over a real socket."""
    async with (
        served(streaming_app(lines)) as url,
        aiohttp.ClientSession() as http,
        http.get(f"{url}/admin/lines") as response,
    ):
        yield response


async def test_a_failure_before_the_first_line_is_an_error_answer() -> None:
    async def unavailable() -> AsyncGenerator[bytes, None]:
        raise StoreUnavailable("the database is unavailable while reading usage records")
        yield b""  # an async generator that fails when first asked

    async with answered(unavailable) as response:
        assert response.status == 503
        body = await response.json()
    assert "database is unavailable" in body["error"]["message"]


async def test_a_failure_after_the_first_line_cuts_the_answer_short() -> None:
    async def breaks() -> AsyncGenerator[bytes, None]:
        yield b'{"n": 1}\n'
        yield b'{"n": 2}\n'
        raise StoreUnavailable("the database went away while reading usage records")

    async with answered(breaks) as response:
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()


async def test_an_empty_answer_is_complete() -> None:
    async def nothing() -> AsyncGenerator[bytes, None]:
        return
        yield b""

    async with answered(nothing) as response:
        assert (response.status, await response.read()) == (200, b"")
        assert response.content_type == "application/x-ndjson"
