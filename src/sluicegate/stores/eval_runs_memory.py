"""Published evaluation runs held in process: for tests and for tools that need no database.

Implements `core.evaluations.EvalRunStore` as `stores.sql.eval_runs.SqlEvalRunStore` does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sluicegate.core.evaluations import MAX_RUNS_LISTED, EvalRun, EvalRunInfo


class MemoryEvalRunStore:
    """Published runs, newest first in listings."""

    __slots__ = ("_runs",)

    def __init__(self) -> None:
        self._runs: dict[str, EvalRun] = {}

    async def add(self, run: EvalRun) -> bool:
        if run.info.id in self._runs:
            return False
        self._runs[run.info.id] = run
        return True

    async def get(self, run_id: str) -> EvalRun | None:
        return self._runs.get(run_id)

    async def list(self, *, prompt: str | None = None, limit: int = 100) -> Sequence[EvalRunInfo]:
        if not 1 <= limit <= MAX_RUNS_LISTED:
            raise ValueError(f"limit is from 1 to {MAX_RUNS_LISTED}, not {limit}")
        found = [
            run.info for run in self._runs.values() if prompt is None or prompt in run.info.prompts
        ]
        found.sort(key=lambda info: info.id)
        found.sort(key=lambda info: info.published_at, reverse=True)
        return found[:limit]
