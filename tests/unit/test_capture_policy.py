"""The capture policy: what it selects, what it keeps, how the usage record gets it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from tests.exchanges import make_exchange
from tests.fakes.streams import Chunks

from sluicegate.core.capture import Capture
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import AttemptSummary, ContentFiltered
from sluicegate.core.exchange import Exchange
from sluicegate.core.identity import Principal, Role
from sluicegate.core.ledger import UsageRecord
from sluicegate.core.policy import Handler, build_chain
from sluicegate.core.reply import Reply
from sluicegate.policies.capture import CapturePolicy, CaptureSelection, request_text
from sluicegate.policies.usage import UsagePolicy
from sluicegate.wire.endpoints import Endpoint

REPLY = {
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hi there"},
            "finish_reason": "stop",
        }
    ]
}


class Sink:
    def __init__(self) -> None:
        self.records: list[UsageRecord] = []

    async def record(self, record: UsageRecord) -> None:
        self.records.append(record)


def exchange(
    route: str = "gpt-4o", subject: str = "key-a", team: str = "search", **fields: Any
) -> Exchange:
    return make_exchange(route=route, principal=Principal(subject, team, Role.APP), **fields)


def served(body: bytes = orjson.dumps(REPLY), status: int = 200) -> Handler:
    async def backend(ex: Exchange) -> Reply:
        ex.served_by = "ptu-east"
        return Reply(status, body=body)

    return backend


async def run(policy: CapturePolicy, ex: Exchange, terminal: Handler) -> Capture | None:
    """Through the usage policy and the capture policy, as the gateway chains them."""
    sink = Sink()
    chain = build_chain([UsagePolicy(sink, ManualClock()), policy], terminal)
    reply = await chain(ex)
    ex.status = reply.status
    if reply.stream is not None:
        async for _ in reply.stream:
            pass
    await ex.finish()
    (record,) = sink.records
    return record.capture


def everything(max_chars: int = 1000) -> CapturePolicy:
    return CapturePolicy(CaptureSelection(), max_chars)


@pytest.mark.parametrize(
    ("selection", "selected"),
    [
        (CaptureSelection.of(), True),
        (CaptureSelection.of(routes=["gpt-4o"]), True),
        (CaptureSelection.of(routes=["gpt-4o-mini"]), False),
        (CaptureSelection.of(teams=["search", "ads"]), True),
        (CaptureSelection.of(teams=["ads"]), False),
        (CaptureSelection.of(subjects=["key-a"]), True),
        (CaptureSelection.of(subjects=["key-b"]), False),
        (CaptureSelection.of(routes=["gpt-4o"], teams=["search"], subjects=["key-a"]), True),
        (CaptureSelection.of(routes=["gpt-4o"], teams=["ads"]), False),
        (CaptureSelection.of(teams=["search"], subjects=["key-b"]), False),
    ],
)
def test_selection_matches_every_list_that_is_set(
    selection: CaptureSelection, selected: bool
) -> None:
    assert selection.selects(exchange()) is selected


def test_without_a_principal_only_route_selection_can_match() -> None:
    anonymous = make_exchange(route="gpt-4o")
    assert CaptureSelection.of(routes=["gpt-4o"]).selects(anonymous)
    assert not CaptureSelection.of(teams=["search"]).selects(anonymous)
    assert not CaptureSelection.of(subjects=["anonymous"]).selects(anonymous)


def test_an_unknown_model_is_never_selected() -> None:
    assert not CaptureSelection.of().selects(make_exchange(route=""))


async def test_the_usage_record_carries_what_went_upstream_and_what_came_back() -> None:
    ex = exchange()
    capture = await run(everything(), ex, served())
    assert capture is not None
    assert orjson.loads(capture.request) == ex.body
    assert capture.response is not None
    assert orjson.loads(capture.response) == {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi there"},
                "finish_reason": "stop",
            }
        ]
    }
    assert not capture.request_truncated
    assert not capture.response_truncated


async def test_the_request_is_read_after_later_policies_rewrote_it() -> None:
    async def redacting(ex: Exchange, call_next: Handler) -> Reply:
        body = {**ex.body, "messages": [{"role": "user", "content": "mail [EMAIL]"}]}
        ex.rewrite(body)
        return await call_next(ex)

    ex = exchange(body={"model": "gpt-4o", "messages": [{"role": "user", "content": "a@b.io"}]})
    capture = await run(everything(), ex, build_chain([redacting], served()))
    assert capture is not None
    assert "a@b.io" not in capture.request
    assert orjson.loads(capture.request)["messages"][0]["content"] == "mail [EMAIL]"


async def test_an_unselected_request_has_no_capture() -> None:
    policy = CapturePolicy(CaptureSelection.of(routes=["other"]), 1000)
    assert await run(policy, exchange(), served()) is None


async def test_a_request_refused_before_going_upstream_has_no_capture() -> None:
    async def shield(ex: Exchange, call_next: Handler) -> Reply:
        raise ContentFiltered("refused", {})

    sink = Sink()
    ex = exchange()
    chain = build_chain([UsagePolicy(sink, ManualClock()), everything(), shield], served())
    with pytest.raises(ContentFiltered):
        await chain(ex)
    ex.status = 400
    await ex.finish()
    assert sink.records[0].status == 400
    assert sink.records[0].capture is None


async def test_a_failed_upstream_keeps_the_request_without_a_reply() -> None:
    async def failing(ex: Exchange) -> Reply:
        ex.attempts.append(AttemptSummary("ptu-east", 500, None, 1.0))
        return Reply(502, body=b'{"error": {"message": "all backends failed"}}')

    capture = await run(everything(), exchange(), failing)
    assert capture is not None
    assert capture.request
    assert capture.response is None


async def test_embeddings_keep_the_input_only() -> None:
    body = {"model": "text-embedding", "input": ["one", "two"]}
    reply = orjson.dumps({"data": [{"embedding": [0.1], "index": 0}]})
    ex = exchange(body=body, endpoint=Endpoint.EMBEDDINGS)
    capture = await run(everything(), ex, served(reply))
    assert capture is not None
    assert orjson.loads(capture.request) == body
    assert capture.response is None


async def test_a_long_request_is_cut_and_flagged() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "é" * 5000}]}
    capture = await run(everything(max_chars=300), exchange(body=body), served())
    assert capture is not None
    assert capture.request_truncated
    assert len(capture.request) == 300
    assert orjson.dumps(body).decode().startswith(capture.request)


def test_request_text_counts_characters_not_bytes() -> None:
    assert request_text("ü".encode() * 10, 10) == ("ü" * 10, False)
    assert request_text("ü".encode() * 11, 10) == ("ü" * 10, True)
    assert request_text("😀".encode() * 10, 10) == ("😀" * 10, False)
    assert request_text("😀".encode() * 10 + b"x", 10) == ("😀" * 10, True)
    assert request_text(b"x" * 41, 10) == ("x" * 10, True)


async def test_a_stream_is_captured_as_it_is_relayed() -> None:
    frames = [
        b'data: {"choices": [{"index": 0, "delta": {"content": "Hel"}}]}\n\n',
        b'data: {"choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]}'
        b"\n\ndata: [DONE]\n\n",
    ]

    async def streaming(ex: Exchange) -> Reply:
        ex.served_by = "ptu-east"
        return Reply(200, stream=Chunks(*frames))

    capture = await run(everything(), exchange(stream=True), streaming)
    assert capture is not None
    assert capture.response is not None
    choice = orjson.loads(capture.response)["choices"][0]
    assert (choice["message"]["content"], choice["finish_reason"]) == ("Hello", "stop")


async def test_a_failing_capture_never_costs_the_usage_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ex = exchange()
    ex.raw = None  # type: ignore[assignment]  # cannot be read: the capture hook fails
    capture = await run(everything(), ex, served())
    assert capture is None
    assert "cannot capture request req-1" in caplog.text


def test_max_chars_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        CapturePolicy(CaptureSelection(), 0)
