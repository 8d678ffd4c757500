"""Publishing evaluation runs: the one implementation behind `sluicegate eval publish` and
`/admin/evals`.

A summary is checked (`eval_summary.read_gate`) before it is stored, so every stored run can be
judged by a promotion. Its id is `ev-` and the first 16 hex digits of the SHA-256 of the summary
as canonical JSON (keys sorted): publishing one summary twice, from the command line or the API,
names one run, and the second publish stores nothing. Every publish is audited.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from sluicegate.admin.eval_summary import RunGate, read_gate
from sluicegate.admin.prompt_refs import check_prompt_name
from sluicegate.core.clock import Clock
from sluicegate.core.errors import InvalidRequest, NotFound
from sluicegate.core.evaluations import MAX_RUNS_LISTED, EvalRun, EvalRunInfo, EvalRunStore
from sluicegate.core.ledger import AuditEntry, AuditLog

RUN_ID = re.compile(r"^ev-[0-9a-f]{16}$")
MAX_SUMMARY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Published:
    run: EvalRunInfo
    created: bool
    """False when the same summary was published before."""
    gate: RunGate


def run_id_of(summary: Mapping[str, Any]) -> str:
    """The id a summary is published under."""
    canonical = orjson.dumps(summary, option=orjson.OPT_SORT_KEYS)
    return "ev-" + hashlib.sha256(canonical).hexdigest()[:16]


def check_run_id(text: object, param: str = "id") -> str:
    if not isinstance(text, str) or not RUN_ID.match(text):
        shown = repr(text) if len(repr(text)) <= 40 else repr(text)[:37] + "..."
        raise InvalidRequest(
            f"{shown} is not an evaluation run id (ev- and 16 hex digits, as "
            "`sluicegate eval publish` prints)",
            param=param,
        )
    return text


class EvalRunAdmin:
    """Publish and read evaluation runs."""

    def __init__(self, store: EvalRunStore, audit: AuditLog, clock: Clock) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    async def publish(self, summary: Mapping[str, Any], actor: str) -> Published:
        """Store a run's summary; refused (`InvalidRequest`) when it is not one."""
        gate = read_gate(summary)
        try:
            canonical = orjson.dumps(summary, option=orjson.OPT_SORT_KEYS)
        except (TypeError, orjson.JSONEncodeError) as error:
            raise InvalidRequest(f"the summary is not JSON data ({error})") from None
        if len(canonical) > MAX_SUMMARY_BYTES:
            raise InvalidRequest(
                f"the summary has {len(canonical)} bytes; at most {MAX_SUMMARY_BYTES}"
            )
        info = EvalRunInfo(
            id=run_id_of(summary),
            prompts=gate.prompts,
            baseline=gate.baseline.resolved_versions,
            candidates=gate.candidate_versions,
            complete=gate.complete,
            published_by=actor,
            published_at=self._now(),
        )
        created = await self._store.add(EvalRun(info, dict(summary)))
        if not created:
            stored = await self._store.get(info.id)
            return Published(stored.info if stored is not None else info, False, gate)
        details = {
            "prompts": list(info.prompts),
            "baseline": list(info.baseline),
            "candidates": list(info.candidates),
            "complete": info.complete,
        }
        entry = AuditEntry(info.published_at, actor, "eval.publish", info.id, details)
        await self._audit.append(entry)
        return Published(info, True, gate)

    async def get(self, run_id: str) -> EvalRun:
        found = await self._store.get(check_run_id(run_id))
        if found is None:
            raise NotFound(f"no evaluation run '{run_id}' has been published", param="id")
        return found

    async def list(self, prompt: str | None = None, limit: int = 100) -> Sequence[EvalRunInfo]:
        """Published runs newest first, of one prompt when given."""
        if prompt is not None:
            check_prompt_name(prompt, "prompt")
        if not 1 <= limit <= MAX_RUNS_LISTED:
            raise InvalidRequest(
                f"limit is from 1 to {MAX_RUNS_LISTED}, not {limit}", param="limit"
            )
        return await self._store.list(prompt=prompt, limit=limit)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.wall(), UTC)
