"""Published evaluation runs: the summary of an `eval run`, kept so that a promotion can cite it.

A run is published once: its id is derived from the summary's content, so publishing the same
summary again finds the run already there instead of storing a copy. Besides the summary as
published, the store keeps what a promotion check and a listing need without reading it: the
prompts the run compared, the versions its baseline and its candidates resolved to, and whether
every item was answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

MAX_RUNS_LISTED = 1000


@dataclass(frozen=True, slots=True)
class EvalRunInfo:
    """A published run without its summary."""

    id: str
    prompts: tuple[str, ...]
    """Names of the registered prompts the run compared, sorted."""
    baseline: tuple[str, ...]
    """The versions (`name@v7`) that answered for the baseline."""
    candidates: tuple[str, ...]
    """The versions that answered for any candidate, in the candidates' order."""
    complete: bool
    """Every item answered by every prompt, without errors."""
    published_by: str
    published_at: datetime


@dataclass(frozen=True, slots=True)
class EvalRun:
    info: EvalRunInfo
    summary: Mapping[str, Any]
    """`summary.json` as published."""


class EvalRunStore(Protocol):
    """Where published runs are kept (SQL, or memory in tests)."""

    async def add(self, run: EvalRun) -> bool:
        """Store `run`; False (and nothing changed) when a run with its id is stored already."""
        ...

    async def get(self, run_id: str) -> EvalRun | None: ...

    async def list(self, *, prompt: str | None = None, limit: int = 100) -> Sequence[EvalRunInfo]:
        """Runs newest first (of one prompt when given), at most `limit`."""
        ...
