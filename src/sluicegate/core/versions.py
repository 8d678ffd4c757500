"""Gapless version numbers, as the prompt registry and the dataset registry hand them out.

A push names the version it was derived from (`parent`, None for the first) and is stored as
`parent + 1`; a push that finds its number taken lost a race and is told to push again. The
rule is the same for every store, in memory or in SQL, so it is stated once here.
"""

from __future__ import annotations


def next_version(parent: int | None) -> int:
    """The number a push derived from `parent` is stored under (1 when `parent` is None); a
    ValueError when `parent` cannot be a version."""
    if parent is not None and parent < 1:
        raise ValueError(f"a parent version is a positive number, not {parent}")
    return (parent or 0) + 1


def pushed_meanwhile(kind: str, name: str, number: int) -> str:
    """What the loser of a race for version `number` of the `kind` (prompt, dataset) `name`
    is told: another push took the number, and pushing again succeeds."""
    return f"version {number} of {kind} '{name}' was pushed meanwhile; push again"
