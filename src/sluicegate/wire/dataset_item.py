"""What a line of an evaluation dataset becomes: an item, or a reason to leave the line out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DatasetItem:
    """The variables a prompt is rendered with, the answer expected (when known) and whatever
    else the line carries."""

    id: str
    inputs: dict[str, Any]
    expected: str | None
    metadata: dict[str, Any]


class SkipItem(Exception):
    """The line is well-formed but cannot become an item; the message says why."""
