"""Checking a dataset's JSON lines before it is stored, with the rules `sluicegate eval run`
reads a dataset with (`wire/dataset_lines.py`), so that a stored dataset never fails a run
later. A feedback rating whose request was not captured is counted as skipped, not refused."""

from __future__ import annotations

from dataclasses import dataclass

from sluicegate.wire.dataset_lines import DatasetLineError, read_lines

__all__ = ["CheckedLines", "DatasetLineError", "check_lines"]


@dataclass(frozen=True, slots=True)
class CheckedLines:
    items: int
    """Lines that become evaluation items."""
    skipped: int
    """Feedback ratings that cannot be replayed (their request was not captured)."""


def check_lines(content: str) -> CheckedLines:
    """Check every line; raises `DatasetLineError` naming the first bad line."""
    lines = read_lines(content)
    skipped = len(lines.skipped)
    if not lines.items:
        why = f" ({skipped} feedback line(s) whose request was not captured)" if skipped else ""
        raise DatasetLineError(None, f"the dataset has no items{why}")
    return CheckedLines(len(lines.items), skipped)
