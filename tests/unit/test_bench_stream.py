"""Reading streamed chat completions: what counts as a generated token and when it came."""

from __future__ import annotations

import orjson

from sluicegate.bench.stream import StreamTally


def frame(payload: object) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def delta(**fields: object) -> bytes:
    return frame({"choices": [{"index": 0, "delta": fields}]})


ROLE = delta(role="assistant", content="")
AZURE_FILTER = frame({"choices": [], "prompt_filter_results": [{"prompt_index": 0}]})
DONE = b"data: [DONE]\n\n"


def test_role_chunk_filter_chunk_and_done_are_not_tokens() -> None:
    tally = StreamTally()
    tally.feed(AZURE_FILTER + ROLE, 0.1)
    assert tally.first_token_at is None
    tally.feed(delta(content="Hello"), 0.3)
    tally.feed(delta(content=" world"), 0.4)
    tally.feed(frame({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}), 0.5)
    tally.feed(DONE, 0.6)
    assert tally.first_token_at == 0.3
    assert tally.content_deltas == 2
    assert tally.generated_tokens == 2
    assert tally.done
    assert tally.error is None


def test_usage_block_is_preferred_when_present() -> None:
    tally = StreamTally()
    tally.feed(ROLE + delta(content="one two three"), 0.2)
    usage = {"prompt_tokens": 42, "completion_tokens": 3, "total_tokens": 45}
    tally.feed(frame({"choices": [], "usage": usage}) + DONE, 0.3)
    assert tally.content_deltas == 1
    assert tally.generated_tokens == 3
    assert tally.usage_prompt == 42


def test_frames_split_anywhere_and_crlf() -> None:
    body = (ROLE + delta(content="a") + delta(content="b") + DONE).replace(b"\n", b"\r\n")
    tally = StreamTally()
    for index in range(len(body)):
        tally.feed(body[index : index + 1], float(index))
    assert tally.content_deltas == 2
    assert tally.done
    assert tally.first_token_at is not None


def test_tool_call_arguments_and_reasoning_count() -> None:
    tally = StreamTally()
    call = {"index": 0, "id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}}
    tally.feed(delta(tool_calls=[call]), 0.1)
    assert tally.content_deltas == 0
    tally.feed(delta(tool_calls=[{"index": 0, "function": {"arguments": '{"a"'}}]), 0.2)
    tally.feed(delta(reasoning_content="thinking"), 0.3)
    assert tally.content_deltas == 2
    assert tally.first_token_at == 0.2


def test_error_event_and_garbage_are_errors_not_exceptions() -> None:
    tally = StreamTally()
    tally.feed(frame({"error": {"message": "upstream failed"}}), 0.1)
    assert tally.error == "stream_error"
    garbage = StreamTally()
    garbage.feed(b"data: {not json\n\n", 0.1)
    assert garbage.error == "bad_frame"
    comments = StreamTally()
    comments.feed(b": keep-alive\n\n", 0.1)
    assert comments.error is None
    assert comments.content_deltas == 0
