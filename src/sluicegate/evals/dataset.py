"""Reading an evaluation dataset: JSON Lines, one item per line, in any of three shapes.

- Explicit: `{"id"?, "inputs": {...}, "expected"?: str, "metadata"?: {...}}`.
- Flat: every key other than `id`, `expected` and `metadata` is an input
  (`{"question": "2+2?", "expected": "4"}`).
- A line of `sluicegate feedback export` (it has `request_id`, `sentiment`, `input` and
  `output`): see `feedback_item`.

Items without an `id` are named after their line (`line-7`), so the ids of a file that does not
change do not change, and a resumed run finds its finished items again. Every problem names the
file and line. The file's SHA-256 identifies the dataset in a run's manifest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from sluicegate.evals.evaluator import EvalItem
from sluicegate.evals.feedback_items import FEEDBACK_KEYS, SkipItem, feedback_item

RESERVED = ("id", "expected", "metadata")


class DatasetError(ValueError):
    """A dataset that cannot be used; the message names the file and, when known, the line."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A line left out of the dataset on purpose (a feedback rating with no captured prompt)."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class Dataset:
    source: str
    """The path as given, for messages and the manifest."""
    sha256: str
    """Of the file's bytes: a resumed run must read the very same dataset."""
    items: tuple[EvalItem, ...]
    skipped: tuple[Skipped, ...] = ()

    def __len__(self) -> int:
        return len(self.items)


def read_dataset(path: Path) -> Dataset:
    """Read and check a JSONL dataset file; raises `DatasetError` with the line of a problem."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DatasetError(f"{path}: cannot read the dataset: {error.strerror or error}") from None
    return parse_dataset(data, str(path))


def parse_dataset(data: bytes, source: str) -> Dataset:
    """Parse JSONL bytes (`source` names them in messages)."""
    items: list[EvalItem] = []
    skipped: list[Skipped] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        where = f"{source} line {number}"
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise DatasetError(f"{where}: not valid JSON ({error})") from None
        if not isinstance(value, dict):
            raise DatasetError(f"{where}: each line must be a JSON object, not {_kind(value)}")
        try:
            item = _item(value, number)
        except SkipItem as skip:
            skipped.append(Skipped(number, str(skip)))
            continue
        except ValueError as error:
            raise DatasetError(f"{where}: {error}") from None
        first = seen.setdefault(item.id, number)
        if first != number:
            raise DatasetError(f"{where}: id {item.id!r} is already used on line {first}")
        items.append(item)
    if not items:
        why = f" ({len(skipped)} line(s) skipped: {skipped[0].reason})" if skipped else ""
        raise DatasetError(f"{source}: the dataset has no items{why}")
    digest = hashlib.sha256(data).hexdigest()
    return Dataset(source, digest, tuple(items), tuple(skipped))


def _item(value: dict[str, Any], line: int) -> EvalItem:
    if value.keys() >= FEEDBACK_KEYS:
        return feedback_item(value)
    item_id = _id(value.get("id"), line)
    expected = _expected(value.get("expected"))
    metadata = value.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        raise ValueError(f'"metadata" must be an object, not {_kind(metadata)}')
    if "inputs" in value:
        inputs = value["inputs"]
        if not isinstance(inputs, dict):
            raise ValueError(f'"inputs" must be an object of variables, not {_kind(inputs)}')
        extra = sorted(key for key in value if key not in (*RESERVED, "inputs"))
        if extra:
            raise ValueError(
                f'unknown key(s) {", ".join(map(repr, extra))}: beside "inputs" a line may '
                'have only "id", "expected" and "metadata" (or leave out "inputs" and put every '
                "input at the top level)"
            )
    else:
        inputs = {key: item for key, item in value.items() if key not in RESERVED}
    if not inputs:
        raise ValueError('the item has no inputs: give "inputs": {...} or top-level variables')
    return EvalItem(id=item_id, inputs=inputs, expected=expected, metadata=metadata)


def _id(value: Any, line: int) -> str:
    if value is None:
        return f"line-{line}"
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f'"id" must be text or a whole number, not {_kind(value)}')
    text = str(value)
    if not text.strip():
        raise ValueError('"id" is empty')
    return text


def _expected(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f'"expected" must be text (or a number), not {_kind(value)}')


def _kind(value: Any) -> str:
    names: Mapping[type, str] = {
        dict: "an object",
        list: "an array",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)
