"""Reply facts for spans (id, model, finish reasons) read from bytes as they pass."""

from __future__ import annotations

from itertools import pairwise

import orjson
from hypothesis import given
from hypothesis import strategies as st

from sluicegate.telemetry.reply_facts import ReplyFacts

STREAM = (
    b'data: {"id":"chatcmpl-9","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06",'
    b'"choices":[{"index":0,"delta":{"content":"say \\"finish_reason\\": \\"x\\""}}]}\n\n'
    b'data: {"id":"chatcmpl-9","model":"gpt-4o-2024-08-06","choices":[{"index":0,'
    b'"delta":{},"finish_reason":"length"}]}\n\n'
    b'data: {"id":"chatcmpl-9","model":"gpt-4o-2024-08-06","choices":[{"index":1,'
    b'"delta":{},"finish_reason": "stop"}]}\n\n'
    b"data: [DONE]\n\n"
)


def test_a_body_gives_its_top_level_id_model_and_each_choices_reason() -> None:
    body = orjson.dumps(
        {
            "id": "chatcmpl-1",
            "model": "gpt-4o-mini",
            "choices": [
                {"index": 0, "message": {"content": '{"model": "fake"}'}, "finish_reason": "stop"},
                {"index": 1, "message": {"content": "x"}, "finish_reason": "tool_calls"},
            ],
        }
    )
    facts = ReplyFacts()
    facts.read_body(body)
    assert (facts.response_id, facts.model) == ("chatcmpl-1", "gpt-4o-mini")
    assert facts.finish_reasons == ["stop", "tool_calls"]


def test_quoted_keys_inside_message_text_are_not_read() -> None:
    facts = ReplyFacts()
    facts.feed(STREAM)
    assert facts.finish_reasons == ["length", "stop"]
    assert facts.model == "gpt-4o-2024-08-06"
    assert facts.response_id == "chatcmpl-9"


@given(st.lists(st.integers(min_value=1, max_value=len(STREAM) - 1), max_size=40))
def test_any_chunking_of_a_stream_gives_the_same_facts(cuts: list[int]) -> None:
    bounds = [0, *sorted(set(cuts)), len(STREAM)]
    facts = ReplyFacts()
    for start, end in pairwise(bounds):
        facts.feed(STREAM[start:end])
    assert facts.finish_reasons == ["length", "stop"]
    assert (facts.response_id, facts.model) == ("chatcmpl-9", "gpt-4o-2024-08-06")
