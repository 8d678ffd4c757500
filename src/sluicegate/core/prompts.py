"""The prompt registry: immutable versions of named templates, and labels that move between them.

A version is the prompty source text exactly as pushed (so `pull` gives back what was pushed),
numbered 1, 2, 3 … per prompt, with the SHA-256 of its text, the version it was derived from,
who pushed it and why. Versions never change. A label (`production`, `staging`, any name) points
at one version, or at several with weights for a traffic split; every move of a label is kept
(who, when, from, to). Whether a caller may move a label is decided above the store (protected
labels, required evaluations); the store only keeps the state and its history consistent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

PROMPT_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
"""Prompt and label names: a letter or digit, then letters, digits, `.`, `_` or `-`."""
VERSION_TOKEN = re.compile(r"^v?([1-9][0-9]{0,8})$")
"""How a version is written where a label could stand instead: `3` or `v3`. No label may look
like this, so `NAME@v3` is never ambiguous."""


class PromptRegistryError(Exception):
    """A registry operation that cannot be done as asked; the message says why."""


class PromptNotFound(PromptRegistryError):
    """No such prompt, version or label."""


class VersionConflict(PromptRegistryError):
    """A push raced another push of the same prompt and lost; pushing again succeeds."""


@dataclass(frozen=True, slots=True)
class PromptVersion:
    """One immutable version of a prompt."""

    name: str
    version: int
    source: str
    """The prompty file text as pushed."""
    content_hash: str
    """SHA-256 (hex) of `source` encoded as UTF-8."""
    parent: int | None
    """The version this one was derived from (the latest one when it was pushed), if any."""
    author: str
    message: str
    created_at: datetime

    @property
    def ref(self) -> str:
        """`name@v3`: how logs, usage records, feedback and reply headers name this version."""
        return f"{self.name}@v{self.version}"


@dataclass(frozen=True, slots=True)
class LabelTarget:
    """One version a label points at, with its share of traffic (weights are relative)."""

    version: int
    weight: int = 1

    def __post_init__(self) -> None:
        if self.version < 1:
            raise ValueError(f"a version is a positive number, not {self.version}")
        if self.weight < 1:
            raise ValueError(f"a weight is a positive whole number, not {self.weight}")


@dataclass(frozen=True, slots=True)
class PromptLabel:
    """Where a label of a prompt points now."""

    name: str
    label: str
    targets: tuple[LabelTarget, ...]
    """One target, or several for a traffic split; never empty."""
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class LabelMove:
    """One recorded move of a label. `before` is empty when the label was created, `after` is
    empty when it was removed."""

    name: str
    label: str
    before: tuple[LabelTarget, ...]
    after: tuple[LabelTarget, ...]
    actor: str
    at: datetime
    note: str = ""
    """Why, e.g. the evaluation run that allowed a promotion."""


@dataclass(frozen=True, slots=True)
class PromptSummary:
    """A prompt in a listing: its latest version and its labels."""

    name: str
    latest: int
    labels: tuple[PromptLabel, ...]
    updated_at: datetime
    """The last change: the latest version's creation or the last label move."""


class PromptStore(Protocol):
    """Where versions, labels and label history are kept (SQL, or memory in tests)."""

    async def add_version(
        self,
        name: str,
        source: str,
        content_hash: str,
        *,
        author: str,
        message: str,
        parent: int | None,
    ) -> PromptVersion:
        """Store version `parent + 1` of `name` (version 1 of a new prompt: `parent` None).

        `parent` must be the latest version (None when there is none): when another writer
        pushed meanwhile, the number is taken and `VersionConflict` is raised, so versions stay
        gapless and every version's parent is the one before it. `PromptNotFound` when
        `parent` names a version that does not exist."""
        ...

    async def get_version(self, name: str, version: int) -> PromptVersion | None: ...

    async def latest(self, name: str) -> PromptVersion | None: ...

    async def versions(self, name: str) -> Sequence[PromptVersion]:
        """Every version of `name`, oldest first (empty when there is no such prompt)."""
        ...

    async def prompts(self) -> Sequence[PromptSummary]:
        """Every prompt, by name."""
        ...

    async def get_label(self, name: str, label: str) -> PromptLabel | None: ...

    async def labels(self, name: str | None = None) -> Sequence[PromptLabel]:
        """The labels of `name`, or of every prompt: what a gateway's resolution cache loads."""
        ...

    async def move_label(
        self,
        name: str,
        label: str,
        targets: Sequence[LabelTarget],
        *,
        actor: str,
        note: str = "",
    ) -> LabelMove:
        """Point `label` at `targets` (empty removes it) and record the move, in one
        transaction: concurrent moves of one label are serialised, so each move's `before` is
        the previous move's `after`. Every target must be an existing version, and removing
        needs an existing label (`PromptNotFound` otherwise); a version named twice is a
        ValueError."""
        ...

    async def history(self, name: str, label: str | None = None) -> Sequence[LabelMove]:
        """Label moves of `name` (of one label when given), oldest first."""
        ...


def label_targets(targets: Sequence[LabelTarget]) -> tuple[LabelTarget, ...]:
    """`targets` as a label keeps them; a version named twice is a ValueError (a split names
    each version once, with its whole weight)."""
    checked = tuple(targets)
    numbers = [target.version for target in checked]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"a label names each version once, not {numbers}")
    return checked
