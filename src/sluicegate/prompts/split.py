"""Choosing which version of a prompt serves a request when a label splits traffic.

With a sticky key (composed by the caller from the end user, prompt and label) the choice is a
hash of the key placed on the cumulative weights, so one user always sees one version while the
share of users per version follows the weights. Targets are ordered by version first, so the
order the caller lists them in does not matter, and moving weight between two versions moves
only the users in the slice that changed hands.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

_HASH_BITS = 64


def _checked(targets: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    if not targets:
        raise ValueError("a traffic split needs at least one target")
    ordered = sorted(targets)
    versions = [version for version, _ in ordered]
    if len(set(versions)) != len(versions):
        raise ValueError("a traffic split names the same version twice")
    for version, weight in ordered:
        if isinstance(weight, bool) or not isinstance(weight, int) or weight <= 0:
            raise ValueError(f"version {version} has weight {weight!r}; weights are integers > 0")
    return ordered


def sticky_point(sticky_key: str, total: int) -> int:
    """Where `sticky_key` falls in [0, total): a BLAKE2b hash scaled onto the range."""
    digest = hashlib.blake2b(sticky_key.encode("utf-8"), digest_size=_HASH_BITS // 8).digest()
    return (int.from_bytes(digest, "big") * total) >> _HASH_BITS


def choose_version(
    targets: Sequence[tuple[int, int]], sticky_key: str | None, rng: random.Random
) -> int:
    """The version to serve from `(version, weight)` targets.

    Deterministic per `sticky_key`; weighted at random from `rng` without one.
    """
    ordered = _checked(targets)
    total = sum(weight for _, weight in ordered)
    point = sticky_point(sticky_key, total) if sticky_key is not None else rng.randrange(total)
    for version, weight in ordered:
        if point < weight:
            return version
        point -= weight
    raise AssertionError("unreachable: the point lies below the total weight")
