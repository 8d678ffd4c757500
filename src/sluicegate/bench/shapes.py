"""Request shapes and the prompts that fill them.

A prompt of the wanted size is built once per shape; each request then starts with its own
marker (run id and request number), so neither a prefix cache nor an exact-match cache can serve
it, and sizes stay what was asked for. Counting uses the gateway's calibrated estimate, the one
the simulator uses for `prompt_tokens` too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

import orjson

from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.token_count import estimate_request_tokens, estimate_tokens

ProfileName = Literal["balanced", "context", "generation", "custom"]

PROFILES: dict[str, tuple[int, int]] = {
    "balanced": (500, 500),
    "context": (2000, 200),
    "generation": (500, 1000),
}
"""(context tokens, max tokens) of each named profile, as Azure's benchmarking tool sizes them."""

_WORDS = (
    "river", "stone", "light", "water", "morning", "field", "signal", "bridge", "harbor",
    "garden", "window", "market", "mountain", "forest", "letter", "engine", "silver", "winter",
    "summer", "island", "valley", "answer", "number", "orange", "planet", "camera", "doctor",
    "teacher", "simple", "gentle", "quiet", "bright", "narrow", "golden", "hidden", "little",
)  # fmt: skip
_INSTRUCTION = "Continue this text in the same style for as long as you can:"


@dataclass(frozen=True, slots=True)
class Shape:
    """What each request asks for: a prompt of `context_tokens` and up to `max_tokens`."""

    name: str
    context_tokens: int
    max_tokens: int

    def __post_init__(self) -> None:
        if not 1 <= self.context_tokens <= 2_000_000:
            raise ValueError(f"context tokens must be in 1..2000000, got {self.context_tokens}")
        if not 1 <= self.max_tokens <= 1_000_000:
            raise ValueError(f"max tokens must be in 1..1000000, got {self.max_tokens}")


def shape_for(profile: str, context_tokens: int | None, max_tokens: int | None) -> Shape:
    """A named profile, or `custom` with both sizes given."""
    if profile == "custom":
        if context_tokens is None or max_tokens is None:
            raise ValueError("--shape custom needs --context-tokens and --max-tokens")
        return Shape("custom", context_tokens, max_tokens)
    if profile not in PROFILES:
        names = ", ".join([*PROFILES, "custom"])
        raise ValueError(f"unknown shape {profile!r}; use one of: {names}")
    if context_tokens is not None or max_tokens is not None:
        raise ValueError(
            f"--context-tokens and --max-tokens apply to --shape custom, not {profile!r}"
        )
    context, generated = PROFILES[profile]
    return Shape(profile, context, generated)


def marker(run_id: str, index: int) -> str:
    """The unique start of request `index`'s prompt."""
    return f"[{run_id}-{index}]"


def filler_text(tokens: int, seed: int = 0) -> str:
    """Words whose estimated size is `tokens` (at least one word), drawn once from a seeded RNG:
    the shortest run of words that reaches the size, found by bisection."""
    rng = random.Random(seed)
    words = [rng.choice(_WORDS) for _ in range(max(1, tokens))]
    while estimate_tokens(" ".join(words)) < tokens:
        words.extend(rng.choice(_WORDS) for _ in range(len(words)))
    low, high = 1, len(words)
    while low < high:
        middle = (low + high) // 2
        if estimate_tokens(" ".join(words[:middle])) >= tokens:
            high = middle
        else:
            low = middle + 1
    return " ".join(words[:low])


class PromptFactory:
    """Request bodies of one shape, each with a unique prompt of the shape's size."""

    def __init__(self, shape: Shape, model: str | None, run_id: str, seed: int = 0) -> None:
        self.shape = shape
        self._model = model
        self._run_id = run_id
        probe = self._body(marker(run_id, 0), "")
        overhead = estimate_request_tokens(probe, Endpoint.CHAT)
        self._filler = filler_text(max(1, shape.context_tokens - overhead), seed)

    def _body(self, head: str, filler: str) -> dict[str, object]:
        body: dict[str, object] = {
            "messages": [{"role": "user", "content": f"{head} {_INSTRUCTION} {filler}"}],
            "max_tokens": self.shape.max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self._model is not None:
            body["model"] = self._model
        return body

    def body(self, index: int) -> dict[str, object]:
        return self._body(marker(self._run_id, index), self._filler)

    def encoded(self, index: int) -> bytes:
        return orjson.dumps(self.body(index))


def chat_body(
    model: str | None, prompt: str, max_tokens: int, head: str | None = None
) -> dict[str, object]:
    """A streamed chat request for a given prompt (trace replay), optionally made unique."""
    content = f"{head} {prompt}" if head else prompt
    body: dict[str, object] = {
        "messages": [{"role": "user", "content": content}],
        "max_tokens": max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if model is not None:
        body["model"] = model
    return body
