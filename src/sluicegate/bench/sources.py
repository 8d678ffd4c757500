"""What request number i sends: a body of the chosen shape, or line i of a trace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import orjson

from sluicegate.bench.shapes import PromptFactory, Shape, chat_body, filler_text, marker
from sluicegate.bench.trace import TraceEntry
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.token_count import estimate_request_tokens


@dataclass(frozen=True, slots=True)
class Request:
    body: bytes
    prompt_estimate: int
    """The prompt's estimated tokens, used when the reply has no usage block."""
    model: str
    """The name prices are looked up by."""


class RequestSource(Protocol):
    def request(self, index: int) -> Request: ...

    def __len__(self) -> int:
        """How many requests there are (a shape has no end: a very large number)."""
        ...


class ShapeSource:
    """Every request of one shape, each prompt unique."""

    def __init__(self, shape: Shape, model: str | None, label: str, run_id: str, seed: int) -> None:
        self._factory = PromptFactory(shape, model, run_id, seed)
        self._estimate = estimate_request_tokens(self._factory.body(0), Endpoint.CHAT)
        self._label = label

    def request(self, index: int) -> Request:
        return Request(self._factory.encoded(index), self._estimate, self._label)

    def __len__(self) -> int:
        return 2**62


class TraceSource:
    """The recorded requests in order; sizes become generated prompts, texts are sent as is
    after a unique marker.

    A size is the whole request's prompt tokens, as a usage record counts them (and as
    `--context-tokens` means for a shape): the filler is that size less what the message, its
    framing and the marker already count, so a replayed request is as large as the recorded one.
    """

    def __init__(
        self, entries: Sequence[TraceEntry], model: str | None, label: str, run_id: str, seed: int
    ) -> None:
        self.entries = entries
        self._model = model
        self._label = label
        self._run_id = run_id
        self._seed = seed
        self._fillers: dict[int, str] = {}
        probe = chat_body(model, "", 1, marker(run_id, 0))
        self._overhead = estimate_request_tokens(probe, Endpoint.CHAT)

    def request(self, index: int) -> Request:
        entry = self.entries[index]
        model = entry.model or self._model
        if entry.prompt is not None:
            prompt = entry.prompt
        else:
            size = max(1, (entry.prompt_tokens or 1) - self._overhead)
            prompt = self._fillers.get(size) or self._fillers.setdefault(
                size, filler_text(size, self._seed)
            )
        body = chat_body(model, prompt, entry.max_tokens, marker(self._run_id, index))
        return Request(
            orjson.dumps(body),
            estimate_request_tokens(body, Endpoint.CHAT),
            entry.model or self._label,
        )

    def __len__(self) -> int:
        return len(self.entries)
