"""Expert marks on a run's answers: pass or fail and a comment per (item, prompt), kept in
`RUNDIR/review.json`. They become the `human` pass/fail metric of the run's summary, and the
yardstick LLM judges are checked against."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from sluicegate.evals.rundir import RunDir, RunDirError, write_json

HUMAN_METRIC = "human"
REVIEW_FORMAT = "sluicegate-eval-review/1"


@dataclass(frozen=True, slots=True)
class Mark:
    passed: bool | None
    """None: the expert left a comment only."""
    comment: str = ""


@dataclass(slots=True)
class ReviewMarks:
    marks: dict[tuple[str, str], Mark] = field(default_factory=dict)
    """Keyed by (item id, prompt spec)."""
    imported: list[str] = field(default_factory=list)
    """The sheets merged in, in order."""

    def merge(self, marks: Mapping[tuple[str, str], Mark], source: str) -> int:
        """Later marks replace earlier ones for the same answer; how many were merged."""
        self.marks.update(marks)
        self.imported.append(source)
        return len(marks)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": REVIEW_FORMAT,
            "imported": list(self.imported),
            "marks": [
                {"item": item, "prompt": prompt, "passed": m.passed, "comment": m.comment}
                for (item, prompt), m in sorted(self.marks.items())
            ],
        }


def read_review(rundir: RunDir) -> ReviewMarks | None:
    """The run's expert marks, or None when none were imported."""
    path: Path = rundir.review_path
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError) as error:
        raise RunDirError(f"{path}: cannot read the expert marks: {error}") from None
    if not isinstance(data, dict) or data.get("format") != REVIEW_FORMAT:
        raise RunDirError(f"{path} is not a sluicegate review file")
    marks = {
        (str(m["item"]), str(m["prompt"])): Mark(m.get("passed"), str(m.get("comment") or ""))
        for m in data.get("marks", [])
    }
    return ReviewMarks(marks, [str(s) for s in data.get("imported", [])])


def write_review(rundir: RunDir, review: ReviewMarks) -> None:
    write_json(rundir.review_path, review.to_json())
