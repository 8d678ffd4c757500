"""A sliding window of amounts (tokens or requests) charged at instants.

The clock is injected so tests move time by hand instead of sleeping.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """Amounts charged now are forgotten `seconds` later; `total` is what is still inside."""

    __slots__ = ("_events", "_now", "_seconds", "_total")

    def __init__(self, seconds: float, now: Callable[[], float]) -> None:
        if seconds <= 0:
            raise ValueError("a sliding window needs a positive length in seconds")
        self._seconds = seconds
        self._now = now
        self._events: deque[tuple[float, int]] = deque()
        self._total = 0

    @property
    def seconds(self) -> float:
        return self._seconds

    def total(self) -> int:
        self._expire(self._now())
        return self._total

    def fits(self, amount: int, capacity: float) -> bool:
        """Whether `amount` more stays within `capacity`; an empty window takes anything."""
        total = self.total()
        return total == 0 or total + amount <= capacity

    def charge(self, amount: int) -> None:
        if amount <= 0:
            return
        now = self._now()
        self._expire(now)
        self._events.append((now, amount))
        self._total += amount

    def wait_for(self, amount: int, capacity: float) -> float:
        """Seconds until `amount` fits: until enough charges have left (or the window is empty)."""
        now = self._now()
        self._expire(now)
        remaining = self._total
        for instant, charged in self._events:
            remaining -= charged
            if remaining == 0 or remaining + amount <= capacity:
                return max(0.0, instant + self._seconds - now)
        return 0.0

    def clear(self) -> None:
        self._events.clear()
        self._total = 0

    def _expire(self, now: float) -> None:
        horizon = now - self._seconds
        events = self._events
        while events and events[0][0] <= horizon:
            self._total -= events.popleft()[1]
