"""Output shields on whole and streamed replies, with simple pattern detectors standing in for the
real ones (whose own tests are in test_safety_*.py): withheld choices, redaction, annotations,
and a stream cut mid-way with Azure's final chunk."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from tests.exchanges import make_exchange

from sluicegate.config.safety import ProfileSettings
from sluicegate.core.exchange import Exchange
from sluicegate.policies.shields.output_body import filter_reply_body
from sluicegate.policies.shields.output_stream import GuardedStream
from sluicegate.policies.shields.profile import DetectorSet, Profile
from sluicegate.safety.verdict import Category, Finding, Span, Verdict
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.sse import DONE_EVENT, FrameSplitter, encode_event, event_data

VIOLENT = re.compile(r"\bi will hurt you\b", re.IGNORECASE)
MAIL = re.compile(r"[\w.]+@[\w]+\.[a-z]{2,}")


def harm(text: str) -> Verdict:
    return Verdict(
        tuple(
            Finding(Category.VIOLENCE, 6, spans=(Span(m.start(), m.end()),), detector="test")
            for m in VIOLENT.finditer(text)
        )
    )


def pii(text: str) -> Verdict:
    return Verdict(
        tuple(
            Finding(Category.PII, 6, spans=(Span(m.start(), m.end(), "email"),), label="email")
            for m in MAIL.finditer(text)
        )
    )


def mask(text: str, spans: Any) -> str:
    for span in sorted(spans, key=lambda s: s.start, reverse=True):
        text = text[: span.start] + "[EMAIL]" + text[span.end :]
    return text


def profile(**settings: Any) -> Profile:
    return Profile(
        "test", ProfileSettings.model_validate(settings), DetectorSet(harm=harm, pii=pii)
    )


def reply_body(*texts: str) -> bytes:
    return orjson.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [
                {
                    "index": i,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": t},
                }
                for i, t in enumerate(texts)
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
        }
    )


async def test_a_flagged_choice_is_withheld_and_the_others_kept() -> None:
    exchange = make_exchange()
    out = await filter_reply_body(
        reply_body("all calm here", "I will hurt you."), profile(), exchange, mask, None, None
    )
    payload = orjson.loads(out)
    calm, flagged = payload["choices"]
    assert calm["message"]["content"] == "all calm here"
    assert "content_filter_results" not in calm
    assert flagged["message"]["content"] is None
    assert flagged["finish_reason"] == "content_filter"
    assert flagged["content_filter_results"]["violence"] == {"filtered": True, "severity": "high"}
    assert payload["usage"]["total_tokens"] == 12
    assert [(e.direction, e.category, e.action) for e in exchange.shield_events] == [
        ("output", "violence", "block")
    ]


async def test_an_unflagged_reply_is_passed_on_byte_for_byte() -> None:
    body = reply_body("all calm here")
    assert await filter_reply_body(body, profile(), make_exchange(), mask, None, None) is body


async def test_shadow_mode_logs_and_changes_nothing() -> None:
    body = reply_body("I will hurt you.")
    exchange = make_exchange()
    shadow = profile(harm={"action": "shadow"})
    assert await filter_reply_body(body, shadow, exchange, mask, None, None) is body
    assert [e.action for e in exchange.shield_events] == ["shadow"]


async def test_redaction_and_annotations_on_a_whole_reply() -> None:
    annotated = profile(pii={"action": "redact"}, annotate=True)
    prompt_results = [{"prompt_index": 0, "content_filter_results": {}}]
    out = await filter_reply_body(
        reply_body("write to ann@example.com today"),
        annotated,
        make_exchange(),
        mask,
        prompt_results,
        None,
    )
    payload = orjson.loads(out)
    choice = payload["choices"][0]
    assert choice["message"]["content"] == "write to [EMAIL] today"
    assert choice["content_filter_results"]["pii"] == {
        "filtered": False,
        "detected": True,
        "redacted": True,
        "types": ["email"],
    }
    assert choice["content_filter_results"]["violence"] == {"filtered": False, "severity": "safe"}
    assert payload["prompt_filter_results"] == prompt_results


async def test_completions_replies_are_checked_on_their_text() -> None:
    body = orjson.dumps(
        {"choices": [{"index": 0, "text": "I will hurt you", "finish_reason": "stop"}]}
    )
    exchange = make_exchange(endpoint=Endpoint.COMPLETIONS, body={"prompt": "x"})
    payload = orjson.loads(await filter_reply_body(body, profile(), exchange, mask, None, None))
    assert payload["choices"][0]["text"] == ""
    assert payload["choices"][0]["finish_reason"] == "content_filter"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"choices": "x"}', b"{}"])
async def test_bodies_that_are_not_replies_pass_unchanged(body: bytes) -> None:
    assert await filter_reply_body(body, profile(), make_exchange(), mask, None, None) is body


# --- streams -------------------------------------------------------------------------------


class Upstream:
    """A ByteStream of SSE chunks cut at arbitrary byte boundaries; records being closed."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False
        self.sent = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            if self.closed:
                return
            self.sent += 1
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def stream_of(tokens: list[str], *, usage: bool = False, split: int = 0) -> list[bytes]:
    frames = [_chunk({"role": "assistant", "content": ""})]
    frames += [_chunk({"content": token}) for token in tokens]
    frames.append(_chunk({}, finish="stop"))
    if usage:
        frames.append(
            encode_event(
                orjson.dumps(
                    {
                        "id": "c1",
                        "object": "chat.completion.chunk",
                        "choices": [],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 9, "total_tokens": 12},
                    }
                )
            )
        )
    frames.append(DONE_EVENT)
    data = b"".join(frames)
    if not split:
        return frames
    return [data[i : i + split] for i in range(0, len(data), split)]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    return encode_event(
        orjson.dumps(
            {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 7,
                "model": "gpt-4o",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
        )
    )


async def collect(stream: GuardedStream) -> list[dict[str, Any] | str]:
    """The frames the client receives, decoded."""
    splitter = FrameSplitter()
    frames: list[dict[str, Any] | str] = []
    async for chunk in stream:
        for frame in splitter.feed(chunk):
            data = event_data(frame)
            assert data is not None
            frames.append("[DONE]" if data == b"[DONE]" else orjson.loads(data))
    assert splitter.pending == b""
    return frames


def text_of(frames: list[dict[str, Any] | str]) -> str:
    return "".join(
        f["choices"][0]["delta"].get("content") or ""
        for f in frames
        if isinstance(f, dict) and f["choices"] and "delta" in f["choices"][0]
    )


def guarded(
    upstream: Upstream, prof: Profile, exchange: Exchange, prompt: Any = None
) -> GuardedStream:
    return GuardedStream(upstream, prof, exchange, mask, prompt, None)


TOKENS = ["The", " river", " keeps", " its", " course", " and", " then", " I", " will", " hurt",
          " you", " badly", " and", " more", " words", " follow", " here"]  # fmt: skip


@pytest.mark.parametrize("split", [0, 7, 50])
async def test_a_flagged_stream_is_cut_with_a_content_filter_chunk(split: int) -> None:
    upstream = Upstream(stream_of(TOKENS, split=split))
    exchange = make_exchange(stream=True)
    frames = await collect(guarded(upstream, profile(output={"hold_back_chars": 24}), exchange))
    assert frames[-1] == "[DONE]"
    final = frames[-2]
    assert isinstance(final, dict)
    assert final["id"] == "c1"
    assert final["choices"][0]["finish_reason"] == "content_filter"
    assert final["choices"][0]["content_filter_results"]["violence"]["filtered"] is True
    sent = text_of(frames)
    assert "hurt" not in sent
    assert sent == "".join(TOKENS)[: len(sent)]  # a clean prefix of the reply
    assert upstream.closed
    assert exchange.usage is not None
    assert exchange.usage.completion_tokens > 0
    assert [e.action for e in exchange.shield_events] == ["block"]


async def test_a_cut_stream_sends_the_same_prefix_however_upstream_chunks_it() -> None:
    """Text that cleared the window before the flagged phrase arrived goes out before the cut,
    also when the whole reply came in one read (a fast backend, a busy machine)."""
    sent = []
    for split in (0, 7, 50, 1_000_000):
        upstream = Upstream(stream_of(TOKENS, split=split))
        frames = await collect(
            guarded(upstream, profile(output={"hold_back_chars": 24}), make_exchange(stream=True))
        )
        sent.append(text_of(frames))
    assert sent[0]
    assert sent == [sent[0]] * len(sent)


async def test_a_clean_stream_arrives_whole_and_unchanged() -> None:
    chunks = stream_of(TOKENS[:7], usage=True)
    frames = await collect(guarded(Upstream(chunks), profile(), make_exchange(stream=True)))
    expected = [
        "[DONE]" if event_data(c) == b"[DONE]" else orjson.loads(event_data(c) or b"")
        for c in chunks
    ]
    assert frames == expected


async def test_the_role_chunk_is_not_held_back() -> None:
    upstream = Upstream(stream_of(TOKENS[:3]))
    stream = guarded(upstream, profile(output={"hold_back_chars": 4096}), make_exchange())
    first = await anext(aiter(stream))
    assert b'"role":"assistant"' in first
    assert b'"content":"The"' not in first
    await stream.aclose()
    assert upstream.closed


async def test_a_long_chunk_goes_out_up_to_the_window_without_waiting_for_more() -> None:
    long = "The river keeps its course through the valley and on to the distant sea"
    tokens = [long, " and more", " words here"]
    upstream = Upstream(stream_of(tokens))
    stream = guarded(upstream, profile(output={"hold_back_chars": 16}), make_exchange())
    received = [await anext(aiter(stream)), await anext(aiter(stream))]
    assert upstream.sent == 2  # the role chunk and the long one: nothing after it was read
    head = orjson.loads(event_data(received[1]) or b"")["choices"][0]["delta"]["content"]
    assert long.startswith(head)
    assert len(long) - 16 - 8 <= len(head) < len(long)
    splitter = FrameSplitter()
    frames = [orjson.loads(event_data(f) or b"") for c in received for f in splitter.feed(c)]
    frames += await collect(stream)
    assert text_of(frames) == "".join(tokens)
    roles = [f for f in frames if isinstance(f, dict) and "role" in f["choices"][0]["delta"]]
    assert len(roles) == 1


async def test_a_long_chunk_is_split_without_letting_pii_through() -> None:
    tokens = ["Mail ann.lee@example.com for details, please, and soon", " and more", " text"]
    prof = profile(pii={"action": "redact"}, output={"hold_back_chars": 8})
    frames = await collect(guarded(Upstream(stream_of(tokens)), prof, make_exchange()))
    assert text_of(frames) == "Mail [EMAIL] for details, please, and soon and more text"
    assert all("ann.lee" not in str(f) for f in frames)


async def test_a_cut_stream_reports_estimated_usage_when_usage_was_asked_for() -> None:
    exchange = make_exchange(stream=True, include_usage=True)
    frames = await collect(guarded(Upstream(stream_of(TOKENS)), profile(), exchange))
    usage_frames = [f for f in frames if isinstance(f, dict) and "usage" in f]
    assert len(usage_frames) == 1
    assert usage_frames[0]["choices"] == []
    assert usage_frames[0]["usage"]["completion_tokens"] == exchange.usage.completion_tokens  # type: ignore[union-attr]


async def test_streamed_pii_is_redacted_even_across_chunks() -> None:
    tokens = ["Mail", " ann", ".lee", "@exam", "ple", ".com", " for", " details", " please"]
    prof = profile(pii={"action": "redact"}, output={"hold_back_chars": 8})
    frames = await collect(guarded(Upstream(stream_of(tokens)), prof, make_exchange()))
    assert text_of(frames) == "Mail [EMAIL] for details please"


async def test_annotations_in_a_stream() -> None:
    prompt = [
        {
            "prompt_index": 0,
            "content_filter_results": {"jailbreak": {"filtered": False, "detected": False}},
        }
    ]
    prof = profile(annotate=True)
    frames = await collect(guarded(Upstream(stream_of(TOKENS[:4])), prof, make_exchange(), prompt))
    first = frames[0]
    assert isinstance(first, dict)
    assert first["prompt_filter_results"] == prompt
    assert first["choices"] == []
    finishing = [
        f
        for f in frames
        if isinstance(f, dict) and f["choices"] and f["choices"][0].get("finish_reason")
    ]
    assert finishing[0]["choices"][0]["content_filter_results"]["violence"] == {
        "filtered": False,
        "severity": "safe",
    }


async def test_a_profile_without_output_checks_passes_chunks_through() -> None:
    chunks = stream_of(TOKENS, split=13)
    prof = profile(harm={"output": False}, annotate=True)
    out = [c async for c in guarded(Upstream(chunks), prof, make_exchange(), [])]
    assert b"".join(out[1:]) == b"".join(chunks)
