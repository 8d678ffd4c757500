"""Managing evaluation datasets: the one implementation behind `sluicegate datasets …` and
`/admin/datasets`.

A push stores a JSONL file as the next immutable version of its dataset, after every line has
been checked with the evaluation tool's rules (`dataset_lines`), unless it is identical to the
latest version (then nothing is stored, and the caller is told). A version is named as
`NAME` (the latest), `NAME@v3` or `NAME@3`. Every push is appended to the audit log.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from sluicegate.admin.dataset_lines import CheckedLines, DatasetLineError, check_lines
from sluicegate.core.clock import Clock
from sluicegate.core.datasets import (
    DATASET_NAME_PATTERN,
    DatasetInfo,
    DatasetStore,
    DatasetVersion,
    DatasetVersionConflict,
)
from sluicegate.core.errors import Conflict, InvalidRequest, NotFound
from sluicegate.core.ledger import AuditEntry, AuditLog
from sluicegate.wire.dataset_lines import ASCII_SPACE

MAX_CONTENT_BYTES = 64 * 1024 * 1024
"""The largest dataset stored (UTF-8 bytes). The admin API also limits a request's body to
`server.max_body_bytes`."""
MAX_DESCRIPTION_LENGTH = 2000
MAX_PREVIEW = 100
"""The most items `show` returns."""
PUSH_ATTEMPTS = 5
NAME_RULE = "1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit"
_VERSION = re.compile(r"^v?([1-9][0-9]{0,8})$")


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """A dataset's latest version (`version` None) or one version."""

    name: str
    version: int | None = None

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@v{self.version}"


@dataclass(frozen=True, slots=True)
class DatasetPushed:
    """What a push did: stored a new version, or found the latest one identical."""

    info: DatasetInfo
    created: bool
    skipped: int = 0
    """Feedback ratings in the file that a run cannot replay (not captured)."""


@dataclass(frozen=True, slots=True)
class PreviewLine:
    line: int
    """The line's number in the file (blank lines count)."""
    value: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DatasetShown:
    info: DatasetInfo
    preview: tuple[PreviewLine, ...]
    """The first items, as written."""
    latest: int


def check_dataset_name(name: object, param: str = "name") -> str:
    if not isinstance(name, str) or not DATASET_NAME_PATTERN.match(name):
        shown = repr(name) if len(repr(name)) <= 60 else repr(name)[:57] + "..."
        raise InvalidRequest(f"{shown} is not a dataset name: {NAME_RULE}", param=param)
    return name


def parse_version(text: str, param: str = "version") -> int:
    """`3` or `v3` → 3."""
    found = _VERSION.match(text)
    if found is None:
        raise InvalidRequest(
            f"{text[:40]!r} is not a version: give its number, as 3 or v3", param=param
        )
    return int(found.group(1))


def parse_dataset_ref(text: str, param: str = "dataset") -> DatasetRef:
    """`NAME` (its latest version), `NAME@v3` or `NAME@3`."""
    name, at, version = text.partition("@")
    check_dataset_name(name, param)
    if not at:
        return DatasetRef(name)
    return DatasetRef(name, parse_version(version, param))


class DatasetAdmin:
    """Push and read dataset versions, auditing every push."""

    def __init__(self, store: DatasetStore, audit: AuditLog, clock: Clock) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    async def push(
        self, content: str, actor: str, *, name: str, description: str = ""
    ) -> DatasetPushed:
        """Store `content` as the next version of dataset `name`. A file that a run could not
        read is refused naming the line; content identical to the latest version stores
        nothing (`created` False)."""
        check_dataset_name(name)
        description = _description(description)
        checked = _checked(content)
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        for _ in range(PUSH_ATTEMPTS):
            latest = await self._store.latest(name)
            if latest is not None and latest.content_hash == digest:
                return DatasetPushed(latest, created=False, skipped=checked.skipped)
            try:
                info = await self._store.add_version(
                    name,
                    content,
                    digest,
                    items=checked.items,
                    description=description,
                    author=actor,
                    parent=latest.version if latest is not None else None,
                )
            except DatasetVersionConflict:
                continue
            details = {"version": info.version, "items": info.items, "content_hash": digest}
            entry = AuditEntry(self._now(), actor, "dataset.push", name, details)
            await self._audit.append(entry)
            return DatasetPushed(info, created=True, skipped=checked.skipped)
        raise Conflict(
            f"dataset '{name}' is being pushed by others at this moment; push again",
            param="content",
        )

    async def list(self) -> Sequence[DatasetInfo]:
        """The latest version of every dataset, by name."""
        return await self._store.datasets()

    async def versions(self, name: str) -> Sequence[DatasetInfo]:
        """Every version of the dataset, oldest first; `NotFound` when there is none."""
        found = await self._store.versions(check_dataset_name(name))
        if not found:
            raise _no_dataset(name)
        return found

    async def resolve(self, ref: str | DatasetRef) -> DatasetVersion:
        """The version (with its content) a reference names."""
        if isinstance(ref, str):
            ref = parse_dataset_ref(ref)
        number = ref.version
        if number is None:
            latest = await self._store.latest(ref.name)
            if latest is None:
                raise _no_dataset(ref.name)
            number = latest.version
        found = await self._store.get_version(ref.name, number)
        if found is not None:
            return found
        latest = await self._store.latest(ref.name)
        if latest is None:
            raise _no_dataset(ref.name)
        raise NotFound(
            f"dataset '{ref.name}' has no version {number} (its latest is v{latest.version})",
            param="version",
        )

    async def show(self, ref: str | DatasetRef, limit: int = 5) -> DatasetShown:
        """A version's description and the first `limit` items as written."""
        if not 0 <= limit <= MAX_PREVIEW:
            raise InvalidRequest(f"limit is from 0 to {MAX_PREVIEW}, not {limit}", param="limit")
        version = await self.resolve(ref)
        latest = await self._store.latest(version.info.name)
        return DatasetShown(
            version.info,
            tuple(preview(version.content, limit)),
            latest.version if latest is not None else version.info.version,
        )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.wall(), UTC)


def preview(content: str, limit: int) -> list[PreviewLine]:
    """The first `limit` item lines of checked content, parsed."""
    found: list[PreviewLine] = []
    for number, raw in enumerate(content.split("\n"), start=1):
        if len(found) >= limit:
            break
        if raw.strip(ASCII_SPACE):
            found.append(PreviewLine(number, orjson.loads(raw)))
    return found


def _checked(content: str) -> CheckedLines:
    size = len(content.encode("utf-8"))
    if size > MAX_CONTENT_BYTES:
        raise InvalidRequest(
            f"the dataset has {size} bytes; at most {MAX_CONTENT_BYTES} are accepted",
            param="content",
        )
    try:
        return check_lines(content)
    except DatasetLineError as error:
        raise InvalidRequest(f"not a valid dataset: {error}", param="content") from None


def _description(text: str) -> str:
    if len(text) > MAX_DESCRIPTION_LENGTH:
        raise InvalidRequest(
            f"the description has {len(text)} characters; at most {MAX_DESCRIPTION_LENGTH}",
            param="description",
        )
    return text.strip()


def _no_dataset(name: str) -> NotFound:
    return NotFound(f"no dataset '{name}'", param="name")
