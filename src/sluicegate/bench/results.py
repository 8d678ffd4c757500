"""A run's results as one JSON document (`--save`), so reports and comparisons can be made
later from saved runs. Every request is kept (as compact rows), so any figure can be
recomputed; the summary and windows are stored as computed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from sluicegate.bench.outcome import FIELDS, Outcome, from_row, to_row

FORMAT = "sluicegate-bench"
VERSION = 1


class ResultError(ValueError):
    """A file that is not a saved run; the message names it and says why."""


@dataclass(slots=True)
class RunResult:
    meta: dict[str, Any]
    """What was run: target label, load plan, shape, retry, start time, generator CPU."""
    summary: dict[str, Any]
    windows: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    sweep: dict[str, Any] | None = None
    """A sweep's steps and verdict; the other fields then describe its best step."""

    @property
    def label(self) -> str:
        return str(self.meta.get("label") or self.meta.get("target") or "run")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "meta": self.meta,
            "summary": self.summary,
            "windows": self.windows,
            "sweep": self.sweep,
            "outcomes": {"fields": list(FIELDS), "rows": [to_row(o) for o in self.outcomes]},
        }

    def save(self, path: Path) -> Path:
        path.write_bytes(orjson.dumps(self.to_dict()))
        return path


def load_result(path: Path) -> RunResult:
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as error:
        raise ResultError(f"{path}: cannot read it ({error.strerror or error})") from None
    except orjson.JSONDecodeError:
        raise ResultError(f"{path}: not JSON; expected a run saved with --save") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ResultError(f"{path}: not a saved benchmark run (no 'format': '{FORMAT}')")
    if data.get("version") != VERSION:
        raise ResultError(
            f"{path}: saved by format version {data.get('version')}; this sluicegate reads "
            f"version {VERSION}"
        )
    try:
        table = data["outcomes"]
        names = list(table["fields"])
        outcomes = [from_row(names, row) for row in table["rows"]]
        return RunResult(
            meta=dict(data["meta"]),
            summary=dict(data["summary"]),
            windows=list(data.get("windows") or []),
            outcomes=outcomes,
            sweep=data.get("sweep"),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ResultError(f"{path}: a damaged saved run ({error})") from None
