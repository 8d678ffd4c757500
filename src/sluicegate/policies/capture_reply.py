"""The text of a reply as the client received it, assembled for capture within a budget.

A whole reply's choices and a stream's chunks are read by the same accumulator, so a captured
stream looks like the non-streamed reply it adds up to: `{"choices": [{"index", "message":
{"role", "content", "refusal", "tool_calls"}, "finish_reason"}]}` for chats, `{"choices":
[{"index", "text", "finish_reason"}]}` for completions. Only text is kept (no logprobs, usage or
filter results), at most `max_chars` characters of it; past that the reply is marked truncated
and nothing more is read, so a long stream costs bounded memory and no further parsing.
Malformed chunks (not JSON, odd types) are skipped, never raised on: capture must not break a
reply.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import orjson

from sluicegate.core.reply import ByteStream, TransformedStream
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.sse import DONE, FrameSplitter, event_data, json_object

_MAX_PENDING = 1 << 20
"""A stream that never closes a frame is still relayed, but not read past this many bytes."""


@dataclass(slots=True)
class _ToolCall:
    id: str | None = None
    type: str | None = None
    name: list[str] = field(default_factory=list)
    arguments: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type or "function",
            "function": {"name": "".join(self.name), "arguments": "".join(self.arguments)},
        }


@dataclass(slots=True)
class _Choice:
    content: list[str] | None = None
    refusal: list[str] | None = None
    tool_calls: dict[int, _ToolCall] = field(default_factory=dict)
    finish_reason: str | None = None


class ReplyText:
    """Accumulates the choices of one reply (a body, or a stream's chunks)."""

    __slots__ = ("_choices", "_completions", "_left", "truncated")

    def __init__(self, endpoint: Endpoint, max_chars: int) -> None:
        self._completions = endpoint is Endpoint.COMPLETIONS
        self._choices: dict[int, _Choice] = {}
        self._left = max_chars
        self.truncated = False
        """The budget ran out: text was cut, and nothing more is read."""

    def add_body(self, body: bytes) -> None:
        """Read the choices of a whole (non-streamed) reply."""
        payload = json_object(body)
        if payload is not None:
            self._add_choices(payload, "message")

    def add_frame(self, frame: bytes) -> None:
        """Read the choices of one SSE event of a streamed reply."""
        if self.truncated or b'"choices"' not in frame:
            return
        data = event_data(frame)
        if data is None or data == DONE:
            return
        payload = json_object(data)
        if payload is not None:
            self._add_choices(payload, "delta")

    def to_json(self) -> str | None:
        """The reply as JSON text; None when it had no choices."""
        if not self._choices:
            return None
        choices = [self._render(index, state) for index, state in sorted(self._choices.items())]
        return orjson.dumps({"choices": choices}).decode()

    # --- reading ------------------------------------------------------------------------------

    def _add_choices(self, payload: dict[str, Any], part: str) -> None:
        choices = payload.get("choices")
        if not isinstance(choices, list):
            return
        for position, choice in enumerate(choices):
            if self.truncated:
                return
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", position)
            state = self._choice(index if isinstance(index, int) else position)
            if self._completions:
                state.content = self._append(state.content, choice.get("text"))
            else:
                message = choice.get(part)
                if isinstance(message, dict):
                    self._add_message(state, message)
            reason = choice.get("finish_reason")
            if isinstance(reason, str):
                state.finish_reason = reason

    def _add_message(self, state: _Choice, message: dict[str, Any]) -> None:
        state.content = self._append(state.content, message.get("content"))
        state.refusal = self._append(state.refusal, message.get("refusal"))
        calls = message.get("tool_calls")
        if not isinstance(calls, list):
            return
        for position, call in enumerate(calls):
            if not isinstance(call, dict):
                continue
            index = call.get("index", position)
            key = index if isinstance(index, int) else position
            tool = state.tool_calls.get(key)
            if tool is None:
                tool = state.tool_calls[key] = _ToolCall()
            if isinstance(call.get("id"), str) and tool.id is None:
                tool.id = call["id"]
            if isinstance(call.get("type"), str) and tool.type is None:
                tool.type = call["type"]
            function = call.get("function")
            if isinstance(function, dict):
                self._append(tool.name, function.get("name"))
                self._append(tool.arguments, function.get("arguments"))

    def _append(self, parts: list[str] | None, text: object) -> list[str] | None:
        """`parts` with as much of `text` as the budget allows (a list once any text came)."""
        if not isinstance(text, str):
            return parts
        if parts is None:
            parts = []
        if len(text) > self._left:
            text = text[: self._left]
            self.truncated = True
        self._left -= len(text)
        if text:
            parts.append(text)
        return parts

    def _choice(self, index: int) -> _Choice:
        state = self._choices.get(index)
        if state is None:
            state = self._choices[index] = _Choice()
        return state

    # --- writing ------------------------------------------------------------------------------

    def _render(self, index: int, state: _Choice) -> dict[str, Any]:
        content = "".join(state.content) if state.content is not None else None
        if self._completions:
            return {"index": index, "text": content or "", "finish_reason": state.finish_reason}
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if state.refusal is not None:
            message["refusal"] = "".join(state.refusal)
        if state.tool_calls:
            message["tool_calls"] = [call.as_dict() for _, call in sorted(state.tool_calls.items())]
        return {"index": index, "message": message, "finish_reason": state.finish_reason}


class CapturingStream(TransformedStream):
    """A `ByteStream` that passes every chunk on unchanged, reading its text on the way.

    A chunk is read before it is passed on, so the reply's text is complete by the time the
    relay runs the finish hooks (just before it forwards `data: [DONE]`)."""

    __slots__ = ("_text",)

    def __init__(self, upstream: ByteStream, text: ReplyText) -> None:
        super().__init__(upstream)
        self._text = text

    async def _run(self) -> AsyncGenerator[bytes, None]:
        splitter: FrameSplitter | None = FrameSplitter()
        text = self._text
        async for chunk in self._upstream:
            if splitter is not None:
                for frame in splitter.feed(chunk):
                    text.add_frame(frame)
                if text.truncated or len(splitter.pending) > _MAX_PENDING:
                    splitter = None  # nothing more to read: just relay
            yield chunk
