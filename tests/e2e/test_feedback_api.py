"""`POST /v1/feedback` through a real gateway: the openai SDK makes the request, an HTTP client
rates the reply right after it (before the ledger has written the request to the database).
Who may rate what, updates without duplicates, feedback tokens for browsers, CORS, and the
admin summary."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest
from openapi_spec_validator import validate
from sqlalchemy import select
from tests.e2e.feedback_support import ORIGIN, FeedbackStack, feedback_stack
from tests.e2e.support import MODEL

from sluicegate.policies.feedback_tokens import TOKEN_HEADER, FeedbackTokens
from sluicegate.stores.sql import SqlStores
from sluicegate.stores.sql.feedback import SqlFeedbackStore
from sluicegate.stores.sql.schema import gateway_secrets

pytestmark = pytest.mark.e2e

TTL = 600


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[FeedbackStack]:
    settings = {
        "tokens": True,
        "token_ttl_seconds": TTL,
        "cors_origins": [ORIGIN],
        "labels": ["wrong_facts", "tone", "helpful"],
    }
    async with feedback_stack(tmp_path, feedback=settings) as started:
        yield started


async def stored_feedback(stack: FeedbackStack) -> list[tuple[str, str]]:
    """(request id, rater) of every stored rating, read from the database itself."""
    stores = SqlStores.create(stack.database_url)
    try:
        return [(r.request_id, r.rater) for r in await SqlFeedbackStore(stores.database).page()]
    finally:
        await stores.close()


async def in_sql_ledger(stack: FeedbackStack, request_id: str) -> bool:
    stores = SqlStores.create(stack.database_url)
    try:
        return await stores.ledger.get(request_id) is not None
    finally:
        await stores.close()


# --- the owner, others, admins ---------------------------------------------------------------


async def test_the_owner_rates_a_reply_the_ledger_has_not_written_yet(
    stack: FeedbackStack,
) -> None:
    request_id, _ = await stack.ask("app")
    assert not await in_sql_ledger(stack, request_id)  # still in the writer's spool

    first = await stack.rate({"request_id": request_id, "thumbs": "down", "label": "wrong_facts"})
    assert first.status == 201, first.body
    assert first.body["object"] == "feedback"
    assert (first.body["request_id"], first.body["rater"]) == (request_id, stack.key_id("app"))
    assert (first.body["thumbs"], first.body["label"], first.body["score"]) == (
        "down",
        "wrong_facts",
        None,
    )
    assert first.body["created_at"] == first.body["updated_at"]
    assert first.headers["x-request-id"] != request_id

    stack.clock.advance(30)
    again = await stack.rate(
        {"request_id": request_id, "score": 2, "correction": "Canberra.", "label": None}
    )
    assert again.status == 200, again.body
    assert again.body["created_at"] == first.body["created_at"]
    assert again.body["updated_at"] > first.body["updated_at"]
    assert (again.body["thumbs"], again.body["score"], again.body["label"]) == ("down", 2.0, None)
    assert again.body["correction"] == "Canberra."
    assert await stored_feedback(stack) == [(request_id, stack.key_id("app"))]


async def test_a_request_already_written_to_the_database_is_found_there(
    stack: FeedbackStack,
) -> None:
    request_id, _ = await stack.ask("app")
    assert stack.gateway.ledger is not None
    assert await stack.gateway.ledger.flush(10)
    assert await in_sql_ledger(stack, request_id)
    reply = await stack.rate({"request_id": request_id, "thumbs": "up"})
    assert reply.status == 201, reply.body


async def test_another_consumer_may_not_rate_it_an_admin_may(stack: FeedbackStack) -> None:
    request_id, _ = await stack.ask("app")
    refused = await stack.rate({"request_id": request_id, "thumbs": "up"}, key="other")
    assert refused.status == 403
    assert refused.error["type"] == "permission_error"
    assert refused.error["param"] == "request_id"
    operator = await stack.rate({"request_id": request_id, "thumbs": "up"}, key="operator")
    assert operator.status == 403
    admin = await stack.rate({"request_id": request_id, "thumbs": "up"}, key="admin")
    assert admin.status == 201, admin.body
    assert admin.body["rater"] == stack.key_id("admin")
    owner = await stack.rate({"request_id": request_id, "thumbs": "down"}, key="app")
    assert owner.status == 201  # the owner's own rating, beside the admin's
    assert sorted(await stored_feedback(stack)) == sorted(
        [(request_id, stack.key_id("admin")), (request_id, stack.key_id("app"))]
    )


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"request_id": "0" * 32, "thumbs": "up"}, 404, "request_id"),
        ({"request_id": "{rid}", "score": 9}, 400, "score"),
        ({"request_id": "{rid}", "score": "5"}, 400, "score"),
        ({"request_id": "{rid}", "label": "rude"}, 400, "label"),
        ({"request_id": "{rid}", "thumbs": "sideways"}, 400, "thumbs"),
        ({"request_id": "{rid}"}, 400, "thumbs"),
        ({"thumbs": "up"}, 400, "request_id"),
        ({"request_id": "{rid}", "thumbs": "up", "stars": 5}, 400, "stars"),
        (b"{not json", 400, None),
    ],
)
async def test_bad_feedback_is_refused_in_openai_shape(
    stack: FeedbackStack, body: object, status: int, param: str | None
) -> None:
    request_id, _ = await stack.ask("app")
    if isinstance(body, dict):
        body = {k: v.format(rid=request_id) if isinstance(v, str) else v for k, v in body.items()}
    reply = await stack.rate(body)
    assert reply.status == status, reply.body
    assert reply.error["param"] == param
    assert reply.error["type"] == "invalid_request_error"
    assert "x-request-id" in reply.headers
    assert await stored_feedback(stack) == []


async def test_without_a_key_there_is_no_feedback(stack: FeedbackStack) -> None:
    request_id, _ = await stack.ask("app")
    reply = await stack.rate({"request_id": request_id, "thumbs": "up"}, key=None)
    assert reply.status == 401
    assert reply.error["type"] == "authentication_error"
    other = await stack.rate({"request_id": request_id}, method="GET")
    assert other.status == 405
    assert other.headers["Allow"] == "POST, OPTIONS"


async def test_the_azure_path_and_a_streamed_reply(stack: FeedbackStack) -> None:
    async with stack.sdk("app") as client:
        raw = await client.chat.completions.with_raw_response.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=5, stream=True
        )
        async for _ in raw.parse():
            pass
    request_id = raw.headers["x-request-id"]
    assert raw.headers[TOKEN_HEADER]
    reply = await stack.rate(
        {"request_id": request_id, "score": 4}, path="/openai/v1/feedback", key=None,
        headers={"api-key": stack.keys["app"]},
    )  # fmt: skip
    assert reply.status == 201, reply.body


# --- feedback tokens and CORS ----------------------------------------------------------------


async def test_a_browser_rates_with_the_token_of_the_reply_and_no_key(
    stack: FeedbackStack,
) -> None:
    request_id, headers = await stack.ask("app")
    token = headers[TOKEN_HEADER]
    preflight = await stack.rate(
        None,
        key=None,
        method="OPTIONS",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": f"content-type,{TOKEN_HEADER}",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert TOKEN_HEADER in allowed
    assert "content-type" in allowed

    reply = await stack.rate(
        {"request_id": request_id, "thumbs": "up", "comment": "spot on"},
        key=None,
        headers={TOKEN_HEADER: token, "Origin": ORIGIN},
    )
    assert reply.status == 201, reply.body
    assert reply.body["rater"] == stack.key_id("app")  # on behalf of the consumer
    assert reply.headers["Access-Control-Allow-Origin"] == ORIGIN
    # The same rater through its key afterwards updates that rating.
    keyed = await stack.rate({"request_id": request_id, "score": 5})
    assert keyed.status == 200
    assert (keyed.body["thumbs"], keyed.body["score"]) == ("up", 5.0)


async def test_a_token_rates_only_its_own_request_and_expires(stack: FeedbackStack) -> None:
    first, headers = await stack.ask("app")
    second, _ = await stack.ask("app")
    token = headers[TOKEN_HEADER]
    elsewhere = await stack.rate(
        {"request_id": second, "thumbs": "up"}, key=None, headers={TOKEN_HEADER: token}
    )
    assert elsewhere.status == 403
    assert elsewhere.error["param"] == "request_id"
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    bad = await stack.rate(
        {"request_id": first, "thumbs": "up"}, key=None, headers={TOKEN_HEADER: forged}
    )
    assert bad.status == 401
    assert bad.error["code"] == "invalid_feedback_token"
    stack.clock.advance(TTL + 1)
    late = await stack.rate(
        {"request_id": first, "thumbs": "up"}, key=None, headers={TOKEN_HEADER: token}
    )
    assert late.status == 401
    assert "expired" in late.error["message"]
    assert await stored_feedback(stack) == []


async def test_only_successful_replies_carry_a_token(stack: FeedbackStack) -> None:
    async with stack.sdk("app") as client:
        with pytest.raises(openai.BadRequestError) as refused:
            await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=5,
                extra_headers={"x-sim-status": "400"},
            )  # fmt: skip
    assert refused.value.response.headers["x-request-id"]
    assert TOKEN_HEADER not in refused.value.response.headers


async def test_other_origins_get_no_cors_answer(stack: FeedbackStack) -> None:
    preflight = await stack.rate(
        None,
        key=None,
        method="OPTIONS",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    request_id, _ = await stack.ask("app")
    reply = await stack.rate(
        {"request_id": request_id, "thumbs": "up"}, headers={"Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in reply.headers


# --- the admin summary -----------------------------------------------------------------------


async def test_the_admin_summary_shows_the_ratings_per_group(stack: FeedbackStack) -> None:
    for thumbs in ("up", "up", "down"):
        request_id, _ = await stack.ask("app")
        assert (await stack.rate({"request_id": request_id, "thumbs": thumbs})).status == 201
    request_id, _ = await stack.ask("other")
    rated = await stack.rate({"request_id": request_id, "score": 4}, key="other")
    assert rated.status == 201

    reply = await stack.rate(None, key="operator", method="GET",
                             path="/admin/feedback/summary?by=model,consumer")  # fmt: skip
    assert reply.status == 200, reply.body
    rows = {tuple(row["group"].values()): row for row in reply.body["rows"]}
    mine = rows[(MODEL, stack.key_id("app"))]
    assert (mine["ratings"], mine["thumbs_up"], mine["thumbs_down"]) == (3, 2, 1)
    assert mine["thumbs_up_rate"] == pytest.approx(2 / 3, abs=1e-4)
    low, high = mine["thumbs_up_ci95"]
    assert 0 < low < 2 / 3 < high < 1
    theirs = rows[(MODEL, stack.key_id("other"))]
    assert (theirs["mean_score"], theirs["thumbs_up_rate"]) == (4.0, None)
    assert reply.body["total"]["ratings"] == 4

    by_version = await stack.rate(None, key="admin", method="GET",
                                  path="/admin/feedback/summary?by=prompt_version")  # fmt: skip
    assert [row["group"] for row in by_version.body["rows"]] == [{"prompt_version": None}]
    app = await stack.rate(None, key="app", method="GET", path="/admin/feedback/summary")
    assert app.status == 403
    bad = await stack.rate(None, key="admin", method="GET", path="/admin/feedback/summary?by=x")
    assert bad.status == 400
    assert bad.error["param"] == "by"
    empty = await stack.rate(None, key="admin", method="GET",
                             path="/admin/feedback/summary?until=2000-01-01")  # fmt: skip
    assert empty.body["rows"] == []


async def test_the_openapi_document_describes_the_summary(stack: FeedbackStack) -> None:
    reply = await stack.rate(None, key="operator", method="GET", path="/admin/openapi.json")
    document = reply.body
    validate(document)
    operation = document["paths"]["/admin/feedback/summary"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"by", "since", "until"}
    assert operation["x-sluicegate-access"] == "read"


# --- without the ledger, without authentication ----------------------------------------------


async def test_without_the_ledger_feedback_says_why(tmp_path: Path) -> None:
    async with feedback_stack(tmp_path, ledger=False) as stack:
        request_id, headers = await stack.ask("app")
        assert TOKEN_HEADER not in headers
        reply = await stack.rate({"request_id": request_id, "thumbs": "up"})
        assert reply.status == 501
        assert reply.error["code"] == "feedback_unavailable"
        assert "ledger" in reply.error["message"]


async def test_without_authentication_anyone_rates_any_known_request(tmp_path: Path) -> None:
    async with feedback_stack(tmp_path, auth=False) as stack:
        request_id, headers = await stack.ask(None)
        assert TOKEN_HEADER not in headers  # tokens are off unless configured
        reply = await stack.rate({"request_id": request_id, "thumbs": "up"}, key=None)
        assert reply.status == 201, reply.body
        assert reply.body["rater"] == "anonymous"
        unknown = await stack.rate({"request_id": "f" * 32, "thumbs": "up"}, key=None)
        assert unknown.status == 404
        token = await stack.rate(
            {"request_id": request_id, "thumbs": "up"}, key=None, headers={TOKEN_HEADER: "x"}
        )
        assert token.status == 401  # feedback.tokens is off


async def test_a_configured_secret_signs_the_tokens_instead_of_the_database(
    tmp_path: Path,
) -> None:
    secret = "c0ffee" * 8
    async with feedback_stack(tmp_path, feedback={"tokens": True, "token_secret": secret}) as stack:
        request_id, headers = await stack.ask("app")
        # Another replica with the same secret (and its own database) accepts the token.
        replica = FeedbackTokens(stack.clock, TTL, secret=secret)
        claims = replica.verify(headers[TOKEN_HEADER])
        assert (claims.request_id, claims.subject) == (request_id, stack.key_id("app"))
        stores = SqlStores.create(stack.database_url)
        try:
            async with stores.database.engine.connect() as conn:
                rows = (await conn.execute(select(gateway_secrets))).all()
        finally:
            await stores.close()
        assert rows == []  # nothing generated, nothing stored


async def test_replicas_share_the_key_generated_into_the_database(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with feedback_stack(tmp_path / "a", feedback={"tokens": True}) as first:
        request_id, headers = await first.ask("app")
        assert first.gateway.ledger is not None
        assert await first.gateway.ledger.flush(10)  # the other replica reads it from SQL
        async with feedback_stack(
            tmp_path / "b", feedback={"tokens": True}, database_url=first.database_url
        ) as second:
            reply = await second.rate(
                {"request_id": request_id, "thumbs": "up"},
                key=None,
                headers={TOKEN_HEADER: headers[TOKEN_HEADER]},
            )
            assert reply.status == 201, reply.body
            stores = SqlStores.create(first.database_url)
            try:
                async with stores.database.engine.connect() as conn:
                    names = (await conn.execute(select(gateway_secrets.c.name))).scalars().all()
            finally:
                await stores.close()
            assert names == ["feedback-token-key"]
