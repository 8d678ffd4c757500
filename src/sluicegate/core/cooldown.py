"""Where backends' cool-down deadlines live, so every replica can learn of a 429 at once."""

from __future__ import annotations

from typing import Protocol


class CooldownStore(Protocol):
    """Maps a backend name to the monotonic time its cool-down ends (0 when none)."""

    def until(self, backend: str) -> float: ...

    def cool(self, backend: str, until: float) -> None:
        """Extend the backend's cool-down to `until` (never shortens an existing one)."""
        ...
