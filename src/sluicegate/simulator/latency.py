"""When tokens come out: a first-token delay that grows with the prompt, then a steady rate.

Streams batch several tokens into one frame when tokens would come faster than a frame per
millisecond, so a fast or instant deployment costs few writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sluicegate.config.simulator import LatencySettings

MIN_FRAME_INTERVAL = 0.001
"""Below this many seconds between tokens, tokens share frames."""
INSTANT_TOKENS_PER_FRAME = 16
"""Frame size when a deployment generates instantly (all frames then leave in one write)."""


@dataclass(frozen=True, slots=True)
class Pacing:
    """The timing of one reply."""

    ttft: float
    """Seconds before the first token."""
    tokens_per_second: float
    """0 means every token is ready together with the first."""

    @property
    def tokens_per_frame(self) -> int:
        if self.tokens_per_second <= 0:
            return INSTANT_TOKENS_PER_FRAME
        return max(1, math.ceil(round(self.tokens_per_second * MIN_FRAME_INTERVAL, 9)))

    def generation_seconds(self, tokens: int) -> float:
        """Seconds from the first token to the last of `tokens`."""
        if self.tokens_per_second <= 0 or tokens <= 1:
            return 0.0
        return (tokens - 1) / self.tokens_per_second

    def total_seconds(self, tokens: int) -> float:
        """How long a non-streaming reply of `tokens` takes."""
        return self.ttft + self.generation_seconds(tokens)

    def frames(self, tokens: int) -> list[tuple[float, int]]:
        """(seconds after the first token, tokens in the frame) for each content frame."""
        if tokens <= 0:
            return []
        size = self.tokens_per_frame
        rate = self.tokens_per_second
        schedule = []
        for start in range(0, tokens, size):
            count = min(size, tokens - start)
            offset = (start + count - 1) / rate if rate > 0 else 0.0
            schedule.append((offset, count))
        return schedule


class LatencyModel:
    """A deployment's latency settings, turned into the pacing of each request."""

    __slots__ = ("_per_prompt_token_ms", "_tokens_per_second", "_ttft_ms")

    def __init__(self, settings: LatencySettings) -> None:
        self._ttft_ms = settings.ttft_ms
        self._per_prompt_token_ms = settings.ttft_ms_per_prompt_token
        self._tokens_per_second = settings.tokens_per_second or 0.0

    def pacing(
        self,
        prompt_tokens: int,
        *,
        ttft_ms: float | None = None,
        tokens_per_second: float | None = None,
    ) -> Pacing:
        """The pacing of one request; the arguments override the model (x-sim-* headers)."""
        if ttft_ms is None:
            ttft_ms = self._ttft_ms + self._per_prompt_token_ms * prompt_tokens
        rate = self._tokens_per_second if tokens_per_second is None else tokens_per_second
        return Pacing(ttft=ttft_ms / 1000.0, tokens_per_second=rate)
