"""Published evaluation runs in SQL: `core.evaluations.EvalRunStore` on SQLite or PostgreSQL.

A run and the rows naming its prompts are written in one transaction. The id is the primary
key, so two publishers of the same summary at once store it once: the second one's INSERT is
refused and it reports the run as already there.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.exc import IntegrityError

from sluicegate.core.evaluations import MAX_RUNS_LISTED, EvalRun, EvalRunInfo
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import translated
from sluicegate.stores.sql.rows import read_rows
from sluicegate.stores.sql.schema import eval_run_prompts, eval_runs

_R = eval_runs.c
_P = eval_run_prompts.c
_INFO = (
    _R.id,
    _R.prompts,
    _R.baseline_versions,
    _R.candidate_versions,
    _R.complete,
    _R.published_by,
    _R.published_at,
)


class SqlEvalRunStore:
    """Published runs, newest first in listings."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, run: EvalRun) -> bool:
        info = run.info
        if await self._exists(info.id):
            return False
        row = {
            "id": info.id,
            "summary": dict(run.summary),
            "prompts": list(info.prompts),
            "baseline_versions": list(info.baseline),
            "candidate_versions": list(info.candidates),
            "complete": info.complete,
            "published_by": info.published_by,
            "published_at": info.published_at,
        }
        names = [{"prompt": prompt, "run_id": info.id} for prompt in sorted(set(info.prompts))]
        async with translated("storing an evaluation run"):
            try:
                async with self._db.writer.begin() as conn:
                    await conn.execute(insert(eval_runs).values(row))
                    if names:
                        await conn.execute(insert(eval_run_prompts), names)
            except IntegrityError:
                return False  # published by someone else a moment ago
        return True

    async def get(self, run_id: str) -> EvalRun | None:
        query = select(eval_runs).where(_R.id == run_id)
        rows = await read_rows(self._db, query, "reading an eval run")
        return EvalRun(_info(rows[0]), rows[0]["summary"]) if rows else None

    async def list(self, *, prompt: str | None = None, limit: int = 100) -> Sequence[EvalRunInfo]:
        if not 1 <= limit <= MAX_RUNS_LISTED:
            raise ValueError(f"limit is from 1 to {MAX_RUNS_LISTED}, not {limit}")
        query = select(*_INFO).order_by(_R.published_at.desc(), _R.id).limit(limit)
        if prompt is not None:
            query = query.where(_R.id.in_(select(_P.run_id).where(_P.prompt == prompt)))
        return [_info(row) for row in await read_rows(self._db, query, "listing eval runs")]

    async def _exists(self, run_id: str) -> bool:
        query = select(_R.id).where(_R.id == run_id)
        return bool(await read_rows(self._db, query, "reading an eval run"))

    def __repr__(self) -> str:
        return f"SqlEvalRunStore({self._db!r})"


def _info(row: RowMapping) -> EvalRunInfo:
    return EvalRunInfo(
        id=row["id"],
        prompts=tuple(row["prompts"]),
        baseline=tuple(row["baseline_versions"]),
        candidates=tuple(row["candidate_versions"]),
        complete=bool(row["complete"]),
        published_by=row["published_by"],
        published_at=row["published_at"],
    )
