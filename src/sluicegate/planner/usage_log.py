"""A usage log: the ledger's records exported as CSV or JSON Lines, one request per row.

Required fields: the time, `at` or `timestamp` (ISO 8601; without an offset it is UTC, as
SQLite stores it; a number is Unix seconds), `model`, `prompt_tokens`, `completion_tokens`.
`timestamp` is what `sluicegate usage export` writes (and `sluicegate bench --trace` reads), so
its file is read as it is; `at` is the ledger's column, for exports made with the database's
own client (docs/planner.md shows the queries for SQLite and PostgreSQL). Other fields are
ignored, except `status`: when present, rows that are not 2xx are skipped (refused or failed
requests used no capacity).
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sluicegate.planner.demand import Demand
from sluicegate.planner.errors import PlanInputError

TIME_FIELDS = ("at", "timestamp")
"""Where a row's time is: the first of these it has."""
REQUIRED = ("model", "prompt_tokens", "completion_tokens")
"""Besides one of TIME_FIELDS."""


@dataclass(frozen=True, slots=True)
class UsageRow:
    at: datetime
    model: str
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class UsageLog:
    rows: list[UsageRow]
    skipped: int
    """Rows left out because their status was not 2xx."""
    source: str


def read_usage_log(path: Path) -> UsageLog:
    """Read a `.csv` or `.jsonl` (`.json`, `.ndjson`) usage log; errors name the line."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            if path.suffix.lower() == ".csv":
                rows, skipped = _collect(_csv_rows(handle, path), path)
            elif path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
                rows, skipped = _collect(_json_rows(handle, path), path)
            else:
                raise PlanInputError(
                    f"{path}: a usage log must be .csv or .jsonl (one JSON object per line), "
                    f"not {path.suffix or 'a file without a suffix'}"
                )
    except OSError as error:
        raise PlanInputError(f"{path}: cannot read the usage log ({error.strerror})") from None
    except UnicodeDecodeError:
        raise PlanInputError(f"{path}: the usage log is not UTF-8 text") from None
    if not rows:
        raise PlanInputError(
            f"{path}: the usage log has no successful requests"
            + (f" ({skipped} rows skipped for a non-2xx status)" if skipped else "")
        )
    return UsageLog(rows, skipped, str(path))


def log_demands(log: UsageLog) -> dict[str, Demand]:
    """One demand per model, all over the same period: from the first record's minute to the
    end of the last record's minute, so models are planned over the same month."""
    ordered = sorted(log.rows, key=lambda row: row.at)
    start = ordered[0].at.replace(second=0, microsecond=0)
    end = ordered[-1].at
    minutes = max(1, math.floor((end - start).total_seconds() / 60.0) + 1)
    grouped: dict[str, list[UsageRow]] = defaultdict(list)
    for row in ordered:
        grouped[row.model].append(row)
    return {
        model: Demand(
            model,
            f"usage log {log.source}"
            + (f" ({log.skipped} non-2xx rows skipped)" if log.skipped else ""),
            minutes,
            [(row.at - start).total_seconds() for row in rows],
            [row.prompt_tokens for row in rows],
            [row.completion_tokens for row in rows],
            start,
        )
        for model, rows in sorted(grouped.items())
    }


def parse_at(value: Any) -> datetime:
    """An instant: ISO 8601 text (naive means UTC; PostgreSQL's `+00` is fine) or Unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a time")
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a time; use ISO 8601, e.g. 2025-05-01T09:30:00Z")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a time; use ISO 8601, e.g. 2025-05-01T09:30:00Z"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _collect(
    rows: Iterator[tuple[int, Mapping[str, Any]]], path: Path
) -> tuple[list[UsageRow], int]:
    kept: list[UsageRow] = []
    skipped = 0
    for line, row in rows:
        try:
            status = row.get("status")
            if status not in (None, "") and not 200 <= _count(status, "status") < 300:
                skipped += 1
                continue
            kept.append(
                UsageRow(
                    parse_at(_time(row)),
                    _model(row["model"]),
                    _count(row["prompt_tokens"], "prompt_tokens"),
                    _count(row["completion_tokens"], "completion_tokens"),
                )
            )
        except ValueError as error:
            raise PlanInputError(f"{path}:{line}: {error}") from None
    return kept, skipped


def _csv_rows(handle: Any, path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    reader = csv.DictReader(handle)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = _missing(header)
    if missing:
        raise PlanInputError(
            f"{path}:1: the header lacks {', '.join(missing)}; the first line must name the "
            f"columns, with at least at (or timestamp), {', '.join(REQUIRED)}"
        )
    reader.fieldnames = header
    needed = [_time_field(header), *REQUIRED]
    for row in reader:
        if None in row:
            raise PlanInputError(f"{path}:{reader.line_num}: more cells than header columns")
        if any(row.get(name) is None for name in needed):
            raise PlanInputError(f"{path}:{reader.line_num}: fewer cells than header columns")
        yield reader.line_num, row


def _json_rows(handle: Any, path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for line, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            raise PlanInputError(f"{path}:{line}: not valid JSON ({error.msg})") from None
        if not isinstance(row, dict):
            raise PlanInputError(f"{path}:{line}: each line must be a JSON object")
        missing = _missing(row)
        if missing:
            raise PlanInputError(f"{path}:{line}: missing {', '.join(missing)}")
        yield line, row


def _missing(names: Collection[str]) -> list[str]:
    """The required fields `names` lacks, the time first."""
    time = [] if _time_field(names) else ["at (or timestamp)"]
    return time + [name for name in REQUIRED if name not in names]


def _time_field(names: Collection[str]) -> str:
    """The field holding the time: `at`, else `timestamp`; empty when there is neither."""
    return next((name for name in TIME_FIELDS if name in names), "")


def _time(row: Mapping[str, Any]) -> Any:
    return row[_time_field(row)]


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    else:
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {number}")
    return number


def _model(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"model must be a non-empty name, got {value!r}")
    return value.strip()
