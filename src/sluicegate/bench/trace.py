"""Replaying recorded traffic: a JSONL file, one request a line, with when it arrived and its
size. A bad line is refused with its line number and what to change; nothing is guessed.

Each line is an object with:
- when: `offset_s` (seconds from the start), `offset_ms`, or `timestamp` (epoch seconds or
  ISO 8601; offsets are taken from the earliest timestamp);
- what: `prompt` (text sent as is) or `prompt_tokens` (a generated prompt of that size);
- how long: `max_tokens` (or `completion_tokens`, e.g. from a usage export);
- optionally `model`, which overrides `--model` for that request.

A line with a `status` is a record of a usage export (`sluicegate usage export`), which holds
every request the gateway accepted. It is replayed only when the request succeeded (2xx) and
has sizes to replay: a refused or failed request (its tokens are 0) or one that generated
nothing (an embedding) is left out, not refused, and counted in `Trace.skipped`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson


class TraceError(ValueError):
    """A trace file that cannot be replayed; the message names the file and line."""


OK_STATUS = range(200, 300)


@dataclass(frozen=True, slots=True)
class TraceEntry:
    offset: float
    """Seconds after the first request of the trace."""
    max_tokens: int
    prompt: str | None = None
    prompt_tokens: int | None = None
    model: str | None = None


class Trace(list[TraceEntry]):
    """The entries to replay, sorted by offset, and how many usage-export lines were left out."""

    def __init__(self, entries: Iterable[TraceEntry] = (), skipped: int = 0) -> None:
        super().__init__(entries)
        self.skipped = skipped
        """Lines of a usage export that were not 2xx or had no tokens to replay."""


def read_trace(path: Path) -> Trace:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise TraceError(f"{path}: cannot read the trace ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise TraceError(f"{path}: the trace is not UTF-8 text") from None
    return parse_trace(lines, str(path))


def parse_trace(lines: Iterable[str], source: str = "trace") -> Trace:
    """Entries sorted by offset, the earliest at 0; blank lines are skipped, and so are the
    usage-export lines that cannot be replayed (counted)."""
    raw: list[tuple[float, dict[str, Any], int]] = []
    skipped = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise TraceError(f"{where}: not a JSON object ({error})") from None
        if not isinstance(item, dict):
            raise TraceError(f"{where}: expected a JSON object, got {type(item).__name__}")
        if not _replayable(item, where):
            skipped += 1
            continue
        raw.append((_when(item, where), item, number))
    if not raw:
        left_out = (
            f" ({skipped} usage records left out: not 2xx, or no tokens to replay)"
            if skipped
            else ""
        )
        raise TraceError(f"{source}: the trace holds no requests{left_out}")
    first = min(when for when, _, _ in raw)
    entries = [_entry(item, when - first, f"{source}:{number}") for when, item, number in raw]
    entries.sort(key=lambda entry: entry.offset)
    return Trace(entries, skipped)


def _replayable(item: dict[str, Any], where: str) -> bool:
    """False for a usage-export line (it has a `status`) of a request that was refused or
    failed, or that generated nothing: there is no size to replay."""
    if "status" not in item:
        return True
    status = item["status"]
    if isinstance(status, bool) or not isinstance(status, int):
        raise TraceError(f"{where}: 'status' must be an HTTP status such as 200, got {status!r}")
    if status not in OK_STATUS:
        return False
    sizes = [item.get("max_tokens", item.get("completion_tokens"))]
    if "prompt" not in item:
        sizes.append(item.get("prompt_tokens"))
    return not any(_is_zero(size) for size in sizes)


def _is_zero(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


def _when(item: dict[str, Any], where: str) -> float:
    if "offset_s" in item:
        return _non_negative(item["offset_s"], "offset_s", where)
    if "offset_ms" in item:
        return _non_negative(item["offset_ms"], "offset_ms", where) / 1000.0
    stamp = item.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        return _non_negative(stamp, "timestamp", where)
    if isinstance(stamp, str):
        try:
            return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise TraceError(
                f"{where}: 'timestamp' {stamp!r} is not ISO 8601 (e.g. 2025-01-31T12:00:00Z)"
            ) from None
    raise TraceError(f"{where}: give the arrival as 'offset_s', 'offset_ms' or 'timestamp'")


def _entry(item: dict[str, Any], offset: float, where: str) -> TraceEntry:
    prompt = item.get("prompt")
    if prompt is not None and (not isinstance(prompt, str) or not prompt):
        raise TraceError(f"{where}: 'prompt' must be a non-empty string")
    prompt_tokens = None
    if prompt is None:
        if "prompt_tokens" not in item:
            raise TraceError(f"{where}: give 'prompt' (text) or 'prompt_tokens' (a size)")
        prompt_tokens = _count(item["prompt_tokens"], "prompt_tokens", where)
    field = "max_tokens" if "max_tokens" in item else "completion_tokens"
    if field not in item:
        raise TraceError(f"{where}: give 'max_tokens' (or 'completion_tokens')")
    model = item.get("model")
    if model is not None and (not isinstance(model, str) or not model):
        raise TraceError(f"{where}: 'model' must be a non-empty string")
    return TraceEntry(offset, _count(item[field], field, where), prompt, prompt_tokens, model)


def _non_negative(value: Any, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TraceError(f"{where}: '{name}' must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise TraceError(f"{where}: '{name}' must be a finite number, 0 or more, got {value!r}")
    return float(value)


def _count(value: Any, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TraceError(f"{where}: '{name}' must be a whole number of at least 1, got {value!r}")
    return value
