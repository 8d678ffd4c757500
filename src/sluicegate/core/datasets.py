"""Evaluation datasets kept by the gateway: immutable, numbered versions of named JSONL files.

A version is the JSON-lines text exactly as pushed (so `pull` gives back what was pushed),
numbered 1, 2, 3 … per name, with its item count, the SHA-256 of its text (the same digest an
evaluation run records for its dataset, so a run can be traced to the version it read), a
description, who pushed it and when. Versions never change and are never deleted. Whether the
text is a valid dataset is decided above the store; the store keeps numbers unique and gapless.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

DATASET_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
"""Dataset names follow the prompt-name rule: a letter or digit, then letters, digits, `.`,
`_` or `-`."""


class DatasetRegistryError(Exception):
    """A dataset operation that cannot be done as asked; the message says why."""


class DatasetVersionConflict(DatasetRegistryError):
    """A push raced another push of the same dataset and lost; pushing again succeeds."""


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """One version of a dataset without its content: what listings show."""

    name: str
    version: int
    items: int
    """Lines that are evaluation items (blank lines and unusable feedback ratings not counted)."""
    content_hash: str
    """SHA-256 (hex) of the content encoded as UTF-8."""
    description: str
    author: str
    created_at: datetime

    @property
    def ref(self) -> str:
        """`name@v3`: how commands and evaluation runs name this version."""
        return f"{self.name}@v{self.version}"


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """One immutable version with its content."""

    info: DatasetInfo
    content: str
    """The JSONL text as pushed."""


class DatasetStore(Protocol):
    """Where dataset versions are kept (SQL, or memory in tests)."""

    async def add_version(
        self,
        name: str,
        content: str,
        content_hash: str,
        *,
        items: int,
        description: str,
        author: str,
        parent: int | None,
    ) -> DatasetInfo:
        """Store version `parent + 1` of `name` (version 1 of a new dataset: `parent` None).

        `parent` must be the latest version (None when there is none): when another writer
        pushed meanwhile, the number is taken and `DatasetVersionConflict` is raised."""
        ...

    async def get_version(self, name: str, version: int) -> DatasetVersion | None: ...

    async def latest(self, name: str) -> DatasetInfo | None: ...

    async def versions(self, name: str) -> Sequence[DatasetInfo]:
        """Every version of `name`, oldest first (empty when there is no such dataset)."""
        ...

    async def datasets(self) -> Sequence[DatasetInfo]:
        """The latest version of every dataset, by name."""
        ...
