"""What a simulated model says: how many tokens, and which words (one token per word)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any, Literal

from sluicegate.config.simulator import CompletionSettings

VOCABULARY = (
    "the", "gate", "opens", "water", "flows", "through", "a", "channel", "of", "stone",
    "and", "light", "river", "keeps", "its", "course", "while", "every", "token", "counts",
    "steady", "stream", "under", "bridge", "capacity", "holds", "for", "now", "then",
    "spills", "over", "to", "next", "basin", "quiet", "morning", "tide", "returns", "with",
    "clear", "signal", "answer", "arrives", "in", "time", "measured", "sluice", "level",
    "rises", "falls", "again", "calm", "field", "north", "south", "east", "west", "wind",
    "carries", "small", "words", "far", "beyond", "hills",
)  # fmt: skip
"""64 short English words; a completion is a sequence of " word" tokens."""

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True, slots=True)
class CompletionPlan:
    tokens: int
    finish_reason: FinishReason


def requested_max_tokens(body: dict[str, Any]) -> int | None:
    """The client's cap on completion tokens (`max_completion_tokens` wins over `max_tokens`)."""
    for field in ("max_completion_tokens", "max_tokens"):
        value = body.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def plan_completion(
    rng: random.Random,
    settings: CompletionSettings,
    max_tokens: int | None,
    forced: int | None = None,
) -> CompletionPlan:
    """Draw a length (or take `forced`), then cap it by `max_tokens`, finishing with `length`."""
    if forced is None:
        low = settings.mean_tokens * (1.0 - settings.spread)
        high = settings.mean_tokens * (1.0 + settings.spread)
        wanted = max(1, round(rng.uniform(low, high)))
    else:
        wanted = forced
    if max_tokens is not None and wanted > max_tokens:
        return CompletionPlan(max_tokens, "length")
    return CompletionPlan(wanted, "stop")


def scripted_tokens(text: str) -> list[str]:
    """A scripted reply as tokens: each word with the whitespace before it."""
    return re.findall(r"\s*\S+", text) or [text]


def generate_tokens(rng: random.Random, count: int) -> list[str]:
    """`count` tokens, each a space and a word; one random draw per completion keeps it cheap."""
    size = len(VOCABULARY)
    start = rng.randrange(size)
    stride = (1, 3, 5, 7, 9, 11, 13, 15)[rng.randrange(8)]
    return [" " + VOCABULARY[(start + index * stride) % size] for index in range(count)]
