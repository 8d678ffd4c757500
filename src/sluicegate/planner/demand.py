"""Demand: the requests of one model in time, the common form of a profile and a usage log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MINUTES_PER_MONTH = 730.0 * 60.0


@dataclass(frozen=True, slots=True)
class Demand:
    """Requests sorted by time; times are seconds from the start of the first minute."""

    model: str
    source: str
    """Where it came from, for reports: a file name and what kind of file."""
    minutes: int
    """Length of the period in whole minutes (empty minutes count: they are real quiet)."""
    times: list[float]
    prompt_tokens: list[int]
    completion_tokens: list[int]
    start: datetime | None = None
    """The first minute of a usage log (None for a profile's typical day)."""

    def __post_init__(self) -> None:
        if not len(self.times) == len(self.prompt_tokens) == len(self.completion_tokens):
            raise ValueError("times, prompt_tokens and completion_tokens must have one entry each")
        if self.minutes < 1:
            raise ValueError("a demand lasts at least one minute")

    @property
    def requests(self) -> int:
        return len(self.times)

    @property
    def month_factor(self) -> float:
        """How many of this period make a 730-hour month."""
        return MINUTES_PER_MONTH / self.minutes

    def minute_of(self, index: int) -> int:
        return int(self.times[index] // 60.0)
