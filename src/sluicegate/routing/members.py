"""Pool members and the weighted pick inside one priority tier.

Tiers are built once per pool; a request only filters the members it may not use (cooling
down, already tried) and draws a weighted random pick among the rest.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Literal

from sluicegate.core.backend import Backend

Kind = Literal["ptu", "paygo"]


@dataclass(frozen=True, slots=True)
class PoolMember:
    """A backend's place in one pool: priority 1 is tried first, weight shares a tier."""

    backend: Backend
    priority: int = 1
    weight: float = 1.0
    kind: Kind = "paygo"
    region: str = ""

    def __post_init__(self) -> None:
        if self.priority < 1:
            raise ValueError(f"member '{self.name}': priority must be 1 or more")
        if not (self.weight > 0 and math.isfinite(self.weight)):
            raise ValueError(f"member '{self.name}': weight must be a positive finite number")

    @property
    def name(self) -> str:
        return self.backend.name


@dataclass(frozen=True, slots=True)
class MemberState:
    """One member as `/admin` and `/readyz` show it."""

    name: str
    priority: int
    weight: float
    kind: Kind
    region: str
    cooling_for_s: float
    """Seconds until the member's cool-down ends; 0 when it is usable."""

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "priority": self.priority,
            "weight": self.weight,
            "kind": self.kind,
            "region": self.region,
            "cooling_for_s": round(self.cooling_for_s, 3),
        }


class Tier:
    """The members that share one priority, with their cumulative weights precomputed."""

    __slots__ = ("cumulative", "members", "priority", "total")

    def __init__(self, priority: int, members: Sequence[PoolMember]) -> None:
        self.priority = priority
        self.members = tuple(members)
        self.cumulative = tuple(accumulate(member.weight for member in self.members))
        self.total = self.cumulative[-1]

    def choose(self, available: Sequence[PoolMember], rng: random.Random) -> PoolMember:
        """Weighted pick among `available`, a non-empty subset of this tier's members."""
        if len(available) == 1:
            return available[0]
        if len(available) == len(self.members):
            cumulative, total = self.cumulative, self.total
        else:
            cumulative = tuple(accumulate(member.weight for member in available))
            total = cumulative[-1]
        index = bisect_right(cumulative, rng.random() * total)
        return available[min(index, len(available) - 1)]


def tiers_by_priority(members: Sequence[PoolMember]) -> tuple[Tier, ...]:
    """Group members by priority, lowest number first, keeping their given order inside."""
    grouped: dict[int, list[PoolMember]] = {}
    for member in members:
        grouped.setdefault(member.priority, []).append(member)
    return tuple(Tier(priority, grouped[priority]) for priority in sorted(grouped))
