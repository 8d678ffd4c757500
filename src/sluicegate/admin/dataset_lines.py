"""Checking a dataset's JSON lines before it is stored: the rules `sluicegate eval run` reads a
dataset with, so that a stored dataset never fails a run later.

The evaluation tool sits above the admin layer and cannot be imported here, so its rules are
restated: every non-blank line is a JSON object in one of three shapes —

- explicit: `{"id"?, "inputs": {...}, "expected"?, "metadata"?}` and no other key;
- flat: every key other than `id`, `expected` and `metadata` is an input (at least one);
- a line of `sluicegate feedback export` (it has `request_id`, `sentiment`, `input` and
  `output`): a rating whose request was not captured is counted as skipped, not refused.

`id` is text or a whole number, not empty, and unique (a line without one is `line-N`);
`expected` is text, a number or null; `metadata` an object or null. A unit test runs both
readers over the same lines, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

RESERVED = ("id", "expected", "metadata")
FEEDBACK_KEYS = frozenset({"request_id", "sentiment", "input", "output"})
ASCII_SPACE = " \t\n\r\x0b\x0c"
"""What counts as a blank line: ASCII white space only, as the run's byte-wise reader sees it."""


class DatasetLineError(ValueError):
    """A line that is not a dataset item; the message names the line."""


@dataclass(frozen=True, slots=True)
class CheckedLines:
    items: int
    """Lines that become evaluation items."""
    skipped: int
    """Feedback ratings that cannot be replayed (their request was not captured)."""


def check_lines(content: str) -> CheckedLines:
    """Check every line; raises `DatasetLineError` naming the first bad line."""
    items = 0
    skipped = 0
    seen: dict[str, int] = {}
    for number, raw in enumerate(content.split("\n"), start=1):
        if not raw.strip(ASCII_SPACE):
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise DatasetLineError(f"line {number}: not valid JSON ({error})") from None
        if not isinstance(value, dict):
            raise DatasetLineError(
                f"line {number}: each line must be a JSON object, not {kind(value)}"
            )
        try:
            item_id = _item_id(value, number)
        except ValueError as error:
            raise DatasetLineError(f"line {number}: {error}") from None
        if item_id is None:
            skipped += 1
            continue
        first = seen.setdefault(item_id, number)
        if first != number:
            raise DatasetLineError(f"line {number}: id {item_id!r} is already used on line {first}")
        items += 1
    if not items:
        why = f" ({skipped} feedback line(s) whose request was not captured)" if skipped else ""
        raise DatasetLineError(f"the dataset has no items{why}")
    return CheckedLines(items, skipped)


def _item_id(value: dict[str, Any], line: int) -> str | None:
    """The item's id, None for a feedback line that is skipped; ValueError for a bad line."""
    if value.keys() >= FEEDBACK_KEYS:
        return _feedback_id(value)
    item_id = _id(value.get("id"), line)
    expected = value.get("expected")
    if expected is not None and (
        isinstance(expected, bool) or not isinstance(expected, str | int | float)
    ):
        raise ValueError(f'"expected" must be text (or a number), not {kind(expected)}')
    metadata = value.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(f'"metadata" must be an object, not {kind(metadata)}')
    if "inputs" in value:
        inputs = value["inputs"]
        if not isinstance(inputs, dict):
            raise ValueError(f'"inputs" must be an object of variables, not {kind(inputs)}')
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
    return item_id


def _feedback_id(value: Mapping[str, Any]) -> str | None:
    request_id = value.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        raise ValueError('a feedback line needs its "request_id" as text')
    captured = value.get("input")
    if not isinstance(captured, dict):
        return None
    messages = captured.get("messages")
    if not isinstance(messages, list) or _last_user_text(messages) is None:
        return None
    return request_id


def _last_user_text(messages: list[Any]) -> str | None:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                parts = [
                    part["text"]
                    for part in content
                    if isinstance(part, dict) and isinstance(part.get("text"), str)
                ]
                return "\n".join(parts) if parts else None
            return None
    return None


def _id(value: Any, line: int) -> str:
    if value is None:
        return f"line-{line}"
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f'"id" must be text or a whole number, not {kind(value)}')
    text = str(value)
    if not text.strip():
        raise ValueError('"id" is empty')
    return text


def kind(value: Any) -> str:
    names: Mapping[type, str] = {
        dict: "an object",
        list: "an array",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)
