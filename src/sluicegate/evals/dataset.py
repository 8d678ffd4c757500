"""Reading an evaluation dataset: JSON Lines, one item per line, in the shapes of
`wire/dataset_lines.py` (explicit `inputs`, flat variables, or a line of
`sluicegate feedback export`).

Every problem names the file and line. The file's SHA-256 identifies the dataset in a run's
manifest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sluicegate.evals.evaluator import EvalItem
from sluicegate.wire.dataset_lines import DatasetLineError, SkippedLine, read_lines


class DatasetError(ValueError):
    """A dataset that cannot be used; the message names the file and, when known, the line."""


@dataclass(frozen=True, slots=True)
class Dataset:
    source: str
    """The path as given, for messages and the manifest."""
    sha256: str
    """Of the file's bytes: a resumed run must read the very same dataset."""
    items: tuple[EvalItem, ...]
    skipped: tuple[SkippedLine, ...] = ()

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
    try:
        lines = read_lines(data)
    except DatasetLineError as error:
        raise DatasetError(f"{source} line {error.line}: {error.problem}") from None
    skipped = lines.skipped
    if not lines.items:
        why = f" ({len(skipped)} line(s) skipped: {skipped[0].reason})" if skipped else ""
        raise DatasetError(f"{source}: the dataset has no items{why}")
    items = tuple(
        EvalItem(id=item.id, inputs=item.inputs, expected=item.expected, metadata=item.metadata)
        for item in lines.items
    )
    return Dataset(source, hashlib.sha256(data).hexdigest(), items, skipped)
