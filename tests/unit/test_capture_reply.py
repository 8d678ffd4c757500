"""Reading a reply for capture: streamed chunks and whole bodies, within the character budget."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from tests.fakes.streams import Chunks

from sluicegate.policies.capture_reply import CapturingStream, ReplyText
from sluicegate.wire.endpoints import Endpoint


def frame(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def chat_chunk(content: str | None = None, index: int = 0, **delta: Any) -> dict[str, Any]:
    if content is not None:
        delta["content"] = content
    return {"object": "chat.completion.chunk", "choices": [{"index": index, "delta": delta}]}


def finish(reason: str, index: int = 0) -> dict[str, Any]:
    return {"choices": [{"index": index, "delta": {}, "finish_reason": reason}]}


def read(text: ReplyText) -> dict[str, Any]:
    found = text.to_json()
    assert found is not None
    parsed: dict[str, Any] = orjson.loads(found)
    return parsed


def stream_of(*payloads: dict[str, Any]) -> bytes:
    return b"".join(frame(p) for p in payloads) + b"data: [DONE]\n\n"


def test_chat_deltas_add_up_to_the_message() -> None:
    text = ReplyText(Endpoint.CHAT, 1000)
    for part in (
        frame(chat_chunk(role="assistant", content="")),
        frame(chat_chunk("Hello")),
        frame(chat_chunk(", wor")),
        frame(chat_chunk("ld.")),
        frame(finish("stop")),
        frame({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}}),
        b"data: [DONE]\n\n",
    ):
        text.add_frame(part)
    assert read(text) == {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello, world."},
                "finish_reason": "stop",
            }
        ]
    }
    assert not text.truncated


def test_tool_call_deltas_are_joined_per_call() -> None:
    text = ReplyText(Endpoint.CHAT, 1000)
    calls = [
        [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "weather"}}],
        [{"index": 0, "function": {"arguments": '{"city": '}}],
        [{"index": 1, "id": "call_b", "type": "function", "function": {"name": "time"}}],
        [{"index": 0, "function": {"arguments": '"Oslo"}'}}],
        [{"index": 1, "function": {"arguments": "{}"}}],
    ]
    text.add_frame(frame(chat_chunk(role="assistant", content=None)))
    for call in calls:
        text.add_frame(frame(chat_chunk(tool_calls=call)))
    text.add_frame(frame(finish("tool_calls")))
    (choice,) = read(text)["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    assert choice["message"]["tool_calls"] == [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
        },
        {"id": "call_b", "type": "function", "function": {"name": "time", "arguments": "{}"}},
    ]


def test_several_choices_are_kept_apart_and_in_order() -> None:
    text = ReplyText(Endpoint.CHAT, 1000)
    text.add_frame(frame(chat_chunk("B1", index=1)))
    text.add_frame(frame(chat_chunk("A1", index=0)))
    text.add_frame(frame(chat_chunk("B2", index=1)))
    text.add_frame(frame(chat_chunk(refusal="no", index=0)))
    choices = read(text)["choices"]
    assert [c["index"] for c in choices] == [0, 1]
    assert choices[0]["message"] == {"role": "assistant", "content": "A1", "refusal": "no"}
    assert choices[1]["message"]["content"] == "B1B2"


def test_completion_chunks_add_up_to_the_text() -> None:
    text = ReplyText(Endpoint.COMPLETIONS, 1000)
    for part in ("Once", " upon", " a time"):
        text.add_frame(
            frame({"object": "text_completion", "choices": [{"index": 0, "text": part}]})
        )
    text.add_frame(frame({"choices": [{"index": 0, "text": "", "finish_reason": "length"}]}))
    assert read(text) == {
        "choices": [{"index": 0, "text": "Once upon a time", "finish_reason": "length"}]
    }


def test_the_budget_cuts_the_text_and_stops_reading() -> None:
    text = ReplyText(Endpoint.CHAT, 10)
    text.add_frame(frame(chat_chunk("12345")))
    text.add_frame(frame(chat_chunk("6789")))
    assert not text.truncated
    text.add_frame(frame(chat_chunk("abcdef")))
    assert text.truncated
    text.add_frame(frame(chat_chunk("more")))
    text.add_frame(frame(finish("stop")))
    (choice,) = read(text)["choices"]
    assert choice["message"]["content"] == "123456789a"
    assert choice["finish_reason"] is None  # read no further once the budget ran out


def test_tool_call_arguments_count_against_the_budget() -> None:
    text = ReplyText(Endpoint.CHAT, 8)
    call = {"index": 0, "id": "c", "function": {"name": "find", "arguments": '{"q": "long"}'}}
    text.add_frame(frame(chat_chunk(tool_calls=[call])))
    (choice,) = read(text)["choices"]
    assert choice["message"]["tool_calls"][0]["function"] == {"name": "find", "arguments": '{"q"'}
    assert text.truncated


def test_exactly_the_budget_is_not_truncated() -> None:
    text = ReplyText(Endpoint.CHAT, 5)
    text.add_frame(frame(chat_chunk("12345")))
    assert not text.truncated
    assert read(text)["choices"][0]["message"]["content"] == "12345"


@pytest.mark.parametrize(
    "bad",
    [
        b"data: {not json\n\n",
        b'data: "choices"\n\n',
        b'data: ["choices"]\n\n',
        frame({"choices": "nope"}),
        frame({"choices": [None, 3, "x"]}),
        frame({"choices": [{"index": "zero", "delta": "text"}]}),
        frame({"choices": [{"index": 0, "delta": {"content": 42, "tool_calls": "x"}}]}),
        frame({"choices": [{"index": 0, "delta": {"tool_calls": [None, {"function": 1}]}}]}),
        b": keep-alive comment with choices\n\n",
        b'event: ping\ndata: {"choices": [\n\n',
    ],
)
def test_malformed_chunks_are_ignored(bad: bytes) -> None:
    text = ReplyText(Endpoint.CHAT, 100)
    text.add_frame(frame(chat_chunk("before ")))
    text.add_frame(bad)
    text.add_frame(frame(chat_chunk("after")))
    choices = read(text)["choices"]
    assert choices[0]["message"]["content"] == "before after"


TOOL_CALL = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}


def test_a_whole_chat_reply_is_read_from_its_body() -> None:
    body = orjson.dumps(
        {
            "id": "chatcmpl-1",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
                    "finish_reason": "tool_calls",
                    "logprobs": None,
                },
                {"index": 1, "message": {"role": "assistant", "content": "hi"}},
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1},
        }
    )
    text = ReplyText(Endpoint.CHAT, 100)
    text.add_body(body)
    assert read(text) == {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
                "finish_reason": "tool_calls",
            },
            {
                "index": 1,
                "message": {"role": "assistant", "content": "hi"},
                "finish_reason": None,
            },
        ]
    }


def test_a_body_without_choices_has_no_reply() -> None:
    for body in (b'{"error": {"message": "x"}}', b"not json", b"[]", b""):
        text = ReplyText(Endpoint.CHAT, 100)
        text.add_body(body)
        assert text.to_json() is None


async def test_the_stream_passes_every_chunk_unchanged_and_reads_it_first() -> None:
    raw = stream_of(chat_chunk("Hel"), chat_chunk("lo"), finish("stop"))
    chunks = [raw[i : i + 7] for i in range(0, len(raw), 7)]  # frames cut anywhere
    text = ReplyText(Endpoint.CHAT, 100)
    stream = CapturingStream(Chunks(*chunks), text)
    relayed = []
    async for chunk in stream:
        relayed.append(chunk)
        if chunk.endswith(b"data: [DONE]\n\n"):
            # What the relay sees just before it runs the finish hooks: the text is complete.
            assert read(text)["choices"][0]["message"]["content"] == "Hello"
    assert relayed == chunks
    await stream.aclose()


async def test_the_stream_stops_reading_but_keeps_relaying_past_the_budget() -> None:
    chunks = [frame(chat_chunk("x" * 10)) for _ in range(5)] + [b"data: [DONE]\n\n"]
    text = ReplyText(Endpoint.CHAT, 15)
    upstream = Chunks(*chunks)
    stream = CapturingStream(upstream, text)
    assert [chunk async for chunk in stream] == chunks
    assert text.truncated
    assert read(text)["choices"][0]["message"]["content"] == "x" * 15
    await stream.aclose()
    assert upstream.closed
