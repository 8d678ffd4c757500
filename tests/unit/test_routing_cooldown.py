"""The in-process cool-down store."""

from __future__ import annotations

from sluicegate.core.cooldown import CooldownStore
from sluicegate.routing.cooldown import MemoryCooldownStore


def test_unknown_backend_is_not_cooling() -> None:
    assert MemoryCooldownStore().until("a") == 0.0


def test_cool_sets_and_extends() -> None:
    store: CooldownStore = MemoryCooldownStore()
    store.cool("a", 100.0)
    assert store.until("a") == 100.0
    store.cool("a", 150.0)
    assert store.until("a") == 150.0
    assert store.until("b") == 0.0


def test_cool_never_shortens() -> None:
    store = MemoryCooldownStore()
    store.cool("a", 150.0)
    store.cool("a", 120.0)
    assert store.until("a") == 150.0
