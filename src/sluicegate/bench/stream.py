"""Reading an OpenAI chat completion stream as a benchmark must: when did the first generated
token arrive, how many tokens came, and what did the usage block say.

Only deltas that carry generated text (content, reasoning, refusal or tool-call arguments)
count: the opening role chunk (`"content": ""`), Azure's prompt-filter chunk with no choices,
the usage chunk and `[DONE]` do not.
"""

from __future__ import annotations

from typing import Any

import orjson

from sluicegate.wire.sse import DONE, FrameSplitter, event_data

_TEXT_FIELDS = ("content", "reasoning_content", "refusal")


class StreamTally:
    """Fed the body chunk by chunk with the time each arrived; never raises on bad frames."""

    __slots__ = (
        "_splitter",
        "content_deltas",
        "done",
        "error",
        "first_token_at",
        "usage_completion",
        "usage_prompt",
    )

    def __init__(self) -> None:
        self._splitter = FrameSplitter()
        self.first_token_at: float | None = None
        self.content_deltas = 0
        self.usage_prompt: int | None = None
        self.usage_completion: int | None = None
        self.done = False
        self.error: str | None = None

    def feed(self, chunk: bytes, now: float) -> None:
        for event in self._splitter.feed(chunk):
            data = event_data(event)
            if data is None:
                continue
            if data.strip() == DONE:
                self.done = True
                continue
            self._frame(data, now)

    def _frame(self, data: bytes, now: float) -> None:
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            self.error = "bad_frame"
            return
        if not isinstance(payload, dict):
            return
        if "error" in payload:
            self.error = "stream_error"
            return
        usage = payload.get("usage")
        if isinstance(usage, dict):
            self._usage(usage)
        choices = payload.get("choices")
        if not isinstance(choices, list):
            return
        for choice in choices:
            if isinstance(choice, dict) and _generated(choice.get("delta")):
                self.content_deltas += 1
                if self.first_token_at is None:
                    self.first_token_at = now

    def _usage(self, usage: dict[str, Any]) -> None:
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if isinstance(prompt, int) and isinstance(completion, int):
            self.usage_prompt, self.usage_completion = prompt, completion

    @property
    def generated_tokens(self) -> int:
        """The usage block's completion tokens when the stream had one, else content deltas."""
        if self.usage_completion is not None:
            return self.usage_completion
        return self.content_deltas


def _generated(delta: object) -> bool:
    if not isinstance(delta, dict):
        return False
    for name in _TEXT_FIELDS:
        value = delta.get(name)
        if isinstance(value, str) and value:
            return True
    calls = delta.get("tool_calls")
    if isinstance(calls, list):
        for call in calls:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and function.get("arguments"):
                return True
    return False
