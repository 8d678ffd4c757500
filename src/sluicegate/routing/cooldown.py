"""In-process cool-down state: the embedded default when there is one gateway replica."""

from __future__ import annotations


class MemoryCooldownStore:
    """A `core.cooldown.CooldownStore` held in a dict; one per process.

    Keys are backend names, so a backend that sits in several pools cools down in all of
    them at once (it is the same deployment pushing back).
    """

    __slots__ = ("_until",)

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def until(self, backend: str) -> float:
        return self._until.get(backend, 0.0)

    def cool(self, backend: str, until: float) -> None:
        """Extend the cool-down to `until`; an earlier `until` leaves a longer one in place."""
        if until > self._until.get(backend, 0.0):
            self._until[backend] = until
