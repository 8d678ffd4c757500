"""Evaluation datasets as JSON Lines: every non-blank line is a JSON object in one of three
shapes —

- explicit: `{"id"?, "inputs": {...}, "expected"?, "metadata"?}` and no other key;
- flat: every key other than `id`, `expected` and `metadata` is an input
  (`{"question": "2+2?", "expected": "4"}`), at least one;
- a line of `sluicegate feedback export` (see `feedback_line`), which may be skipped.

`id` is text or a whole number, not empty, and unique. A line without one is named after its
line (`line-7`), so the ids of a file that does not change do not change, and a resumed run
finds its finished items again. `expected` is text, a number (kept as text) or null; `metadata`
an object or null. The gateway checks a dataset with these rules before it stores one, and
`sluicegate eval run` reads one with them, so a stored dataset never fails a run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from sluicegate.wire.dataset_item import DatasetItem, SkipItem
from sluicegate.wire.feedback_line import FEEDBACK_KEYS, feedback_item

RESERVED = ("id", "expected", "metadata")
ASCII_SPACE = " \t\n\r\x0b\x0c"
"""What counts as a blank line: ASCII white space only, whether the lines are text or bytes."""


class DatasetLineError(ValueError):
    """A dataset that cannot be used: `line` (None for the dataset as a whole) and `problem`."""

    def __init__(self, line: int | None, problem: str) -> None:
        super().__init__(problem if line is None else f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True, slots=True)
class SkippedLine:
    """A line left out on purpose (a feedback rating with no captured prompt)."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class DatasetLines:
    items: tuple[DatasetItem, ...]
    skipped: tuple[SkippedLine, ...]


def read_lines(data: bytes | str) -> DatasetLines:
    """Every item and skipped line, in order; raises `DatasetLineError` for the first bad line.
    A dataset without items is the caller's to refuse, with its own explanation."""
    items: list[DatasetItem] = []
    skipped: list[SkippedLine] = []
    seen: dict[str, int] = {}
    lines: Sequence[bytes | str] = (
        data.split(b"\n") if isinstance(data, bytes) else data.split("\n")
    )
    for number, raw in enumerate(lines, start=1):
        if _blank(raw):
            continue
        try:
            item = _parse(raw, number)
        except SkipItem as skip:
            skipped.append(SkippedLine(number, str(skip)))
            continue
        except ValueError as error:
            raise DatasetLineError(number, str(error)) from None
        first = seen.setdefault(item.id, number)
        if first != number:
            raise DatasetLineError(number, f"id {item.id!r} is already used on line {first}")
        items.append(item)
    return DatasetLines(tuple(items), tuple(skipped))


def _parse(raw: bytes | str, number: int) -> DatasetItem:
    """The item of line `number`; raises `SkipItem`, or `ValueError` saying what is wrong."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise ValueError(f"each line must be a JSON object, not {_kind(value)}")
    if value.keys() >= FEEDBACK_KEYS:
        return feedback_item(value)
    item_id = _id(value.get("id"), number)
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
    return DatasetItem(item_id, inputs, expected, metadata)


def _blank(raw: bytes | str) -> bool:
    if isinstance(raw, bytes):
        return not raw.strip(ASCII_SPACE.encode())
    return not raw.strip(ASCII_SPACE)


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
