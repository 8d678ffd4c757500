"""Reply bodies and stream frames, shaped exactly as OpenAI's (and so Azure OpenAI's)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.sse import DONE_EVENT, encode_event

SYSTEM_FINGERPRINT = "fp_sluicegate_sim"


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


@dataclass(slots=True)
class Completion:
    """One generated reply, rendered whole or as a stream."""

    endpoint: Endpoint
    model: str
    tokens: list[str]
    finish_reason: str
    prompt_tokens: int
    include_usage: bool = False
    id: str = field(default="")
    created: int = field(default_factory=lambda: int(time.time()))

    def __post_init__(self) -> None:
        if not self.id:
            prefix = "chatcmpl-" if self.endpoint is Endpoint.CHAT else "cmpl-"
            self.id = prefix + uuid.uuid4().hex[:24]

    @property
    def chat(self) -> bool:
        return self.endpoint is Endpoint.CHAT

    def body(self) -> bytes:
        """The non-streaming reply."""
        text = "".join(self.tokens)
        if self.chat:
            message = {"role": "assistant", "content": text, "refusal": None}
            choice: dict[str, Any] = {"index": 0, "message": message}
        else:
            choice = {"index": 0, "text": text}
        choice["logprobs"] = None
        choice["finish_reason"] = self.finish_reason
        return orjson.dumps(
            {
                "id": self.id,
                "object": "chat.completion" if self.chat else "text_completion",
                "created": self.created,
                "model": self.model,
                "system_fingerprint": SYSTEM_FINGERPRINT,
                "choices": [choice],
                "usage": usage(self.prompt_tokens, len(self.tokens)),
            }
        )

    def opening_frame(self) -> bytes | None:
        """Chat streams open with the assistant's role and empty content; completions do not."""
        if not self.chat:
            return None
        return self._frame({"role": "assistant", "content": ""}, None)

    def content_frame(self, start: int, count: int) -> bytes:
        text = "".join(self.tokens[start : start + count])
        return self._frame({"content": text} if self.chat else text, None)

    def closing_frames(self) -> bytes:
        """The finish frame, the usage frame when asked for, and `[DONE]`."""
        frames = [self._frame({} if self.chat else "", self.finish_reason)]
        if self.include_usage:
            frames.append(encode_event(orjson.dumps(self._chunk([], self._usage()))))
        frames.append(DONE_EVENT)
        return b"".join(frames)

    def _frame(self, delta: dict[str, Any] | str, finish_reason: str | None) -> bytes:
        if isinstance(delta, dict):
            choice: dict[str, Any] = {"index": 0, "delta": delta}
        else:
            choice = {"index": 0, "text": delta}
        choice["logprobs"] = None
        choice["finish_reason"] = finish_reason
        return encode_event(orjson.dumps(self._chunk([choice], None)))

    def _chunk(self, choices: list[Any], usage_block: dict[str, int] | None) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk" if self.chat else "text_completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": choices,
        }
        if self.include_usage:
            chunk["usage"] = usage_block
        return chunk

    def _usage(self) -> dict[str, int]:
        return usage(self.prompt_tokens, len(self.tokens))


def embeddings_body(
    model: str, vectors: list[list[float]] | list[str], prompt_tokens: int
) -> bytes:
    data = [
        {"object": "embedding", "index": index, "embedding": vector}
        for index, vector in enumerate(vectors)
    ]
    return orjson.dumps(
        {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        }
    )


def models_body(ids: list[str], created: int) -> bytes:
    data = [
        {"id": name, "object": "model", "created": created, "owned_by": "sluicegate-simulator"}
        for name in ids
    ]
    return orjson.dumps({"object": "list", "data": data})
