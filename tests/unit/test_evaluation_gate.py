"""Publishing runs and the promotion gate in PromptAdmin's verifier seam, on the memory stores:
required labels, the note in the label's history, and nothing moved on a refusal."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from sluicegate.admin.eval_runs import EvalRunAdmin, run_id_of
from sluicegate.admin.eval_summary import SUMMARY_FORMAT
from sluicegate.admin.evaluation_gate import EvaluationGate
from sluicegate.admin.prompts import PromptAdmin
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import Conflict, InvalidRequest, NotFound
from sluicegate.core.identity import Role
from sluicegate.core.prompts import LabelTarget
from sluicegate.stores.audit_memory import MemoryAuditLog
from sluicegate.stores.eval_runs_memory import MemoryEvalRunStore
from sluicegate.stores.prompts_memory import MemoryPromptStore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ADMIN = Role.ADMIN


def summary(
    baseline: str = "support@v1", candidate: str = "support@v2", **verdicts: str
) -> dict[str, Any]:
    verdicts = verdicts or {"f1": "better", "long": "no significant difference"}
    return {
        "format": SUMMARY_FORMAT,
        "generated_at": "2025-03-01T12:00:00Z",
        "metrics": [{"name": name, "kind": "score", "spec": name} for name in verdicts],
        "prompts": [{"spec": "support@production", "kind": "registry", "name": "support"}],
        "gate": {
            "complete": True,
            "alpha": 0.05,
            "baseline": {"spec": "support@production", "resolved_versions": [baseline]},
            "candidates": [
                {"spec": candidate, "resolved_versions": [candidate], "verdicts": verdicts}
            ],
        },
    }


class World:
    def __init__(self, **gate: Any) -> None:
        self.clock = ManualClock(wall_start=T0.timestamp())
        self.audit = MemoryAuditLog()
        self.store = MemoryPromptStore(self.clock)
        self.runs = EvalRunAdmin(MemoryEvalRunStore(), self.audit, self.clock)
        self.gate = EvaluationGate(self.runs._store, **gate)
        self.prompts = PromptAdmin(
            self.store, self.audit, self.clock, verifier=self.gate.verifier()
        )

    async def versions(self, count: int) -> None:
        for number in range(1, count + 1):
            source = f"---\nname: support\n---\nuser:\nVersion {number}.\n"
            await self.prompts.push(source, "a")

    async def promote(self, version: int, run: str | None = None, *metrics: str) -> str:
        verifier = self.gate.verifier(run, metrics) if run is not None else None
        change = await self.prompts.promote(
            "support", "production", [LabelTarget(version)], actor="cli", role=ADMIN,
            verifier=verifier,
        )  # fmt: skip
        return change.move.note if change.move is not None else ""

    async def points_at(self) -> int | None:
        label = await self.store.get_label("support", "production")
        return label.targets[0].version if label is not None else None


async def test_publishing_derives_the_id_from_the_summary_and_stores_it_once() -> None:
    world = World()
    data = summary()
    first = await world.runs.publish(data, "key:abc")
    assert first.created
    assert first.run.id == run_id_of(data)
    assert len(first.run.id) == 19
    assert first.run.id.startswith("ev-")
    assert (first.run.prompts, first.run.baseline, first.run.candidates) == (
        ("support",),
        ("support@v1",),
        ("support@v2",),
    )
    reordered = dict(reversed(list(copy.deepcopy(data).items())))
    again = await world.runs.publish(reordered, "key:other")
    assert (again.created, again.run.id, again.run.published_by) == (False, first.run.id, "key:abc")
    world.clock.advance(60)
    other = await world.runs.publish({**data, "generated_at": "later"}, "key:abc")
    assert other.created
    assert other.run.id != first.run.id
    entries = await world.audit.list(limit=10)
    assert [(e.action, e.target) for e in entries] == [
        ("eval.publish", first.run.id),
        ("eval.publish", other.run.id),
    ]
    assert dict((await world.runs.get(first.run.id)).summary) == data
    assert [r.id for r in await world.runs.list("support")] == [other.run.id, first.run.id]
    assert await world.runs.list("triage") == []


async def test_what_is_not_a_summary_is_refused_and_unknown_runs_are_not_found() -> None:
    world = World()
    with pytest.raises(InvalidRequest, match=r"gate\.candidates must be a list"):
        await world.runs.publish({**summary(), "gate": {**summary()["gate"], "candidates": 3}}, "a")
    with pytest.raises(InvalidRequest, match="not an evaluation run id"):
        await world.runs.get("run-1")
    with pytest.raises(NotFound, match="no evaluation run 'ev-0000000000000000'"):
        await world.runs.get("ev-0000000000000000")


async def test_a_required_label_moves_only_with_a_run_even_for_admins() -> None:
    world = World(required_labels=("production",))
    await world.versions(2)
    with pytest.raises(Conflict) as raised:
        await world.promote(1)
    assert raised.value.code == "evaluation_required"
    message = raised.value.message
    assert "moves only with a passing evaluation (prompts.require_evaluation)" in message
    assert "--require-eval RUN" in raised.value.message
    assert "promote support 1 --to production" in raised.value.message
    split = [LabelTarget(1, 90), LabelTarget(2, 10)]
    with pytest.raises(Conflict, match="cannot split traffic") as raised:
        await world.prompts.promote("support", "production", split, actor="cli", role=ADMIN)
    assert raised.value.code == "evaluation_required"
    assert await world.points_at() is None
    staging = await world.prompts.promote(
        "support", "staging", [LabelTarget(1)], actor="cli", role=ADMIN
    )
    assert staging.changed  # other labels need no run


async def test_a_passing_run_moves_the_label_and_the_history_says_why() -> None:
    world = World(required_labels=("production",))
    await world.versions(2)
    first = await world.runs.publish(summary(baseline="support@v0", candidate="support@v1"), "a")
    note = await world.promote(1, first.run.id)
    assert note == (
        f"evaluation {first.run.id}: support@v1 against no baseline: f1 better, "
        "long no significant difference"
    )
    published = await world.runs.publish(summary(), "a")
    note = await world.promote(2, published.run.id)
    assert note.startswith(f"evaluation {published.run.id}: support@v2 against support@v1")
    assert await world.points_at() == 2
    moves = await world.store.history("support", "production")
    assert [m.note for m in moves][-1] == note
    (entry,) = [e for e in await world.audit.list(limit=20) if e.action == "prompt.label"][-1:]
    assert entry.details["note"] == note


async def test_a_failing_run_leaves_the_label_where_it_was() -> None:
    world = World()
    await world.versions(2)
    await world.promote(1)
    worse = await world.runs.publish(summary(f1="worse", long="better"), "a")
    with pytest.raises(Conflict, match="significantly worse than the baseline"):
        await world.promote(2, worse.run.id)
    assert await world.points_at() == 1
    # Gating on the metric that improved lets it through: the caller's choice, and recorded.
    note = await world.promote(2, worse.run.id, "long")
    assert note.endswith(": long better")
    assert await world.points_at() == 2


async def test_configured_gated_metrics_apply_when_the_promotion_names_none() -> None:
    world = World(gated_metrics=("long",))
    await world.versions(2)
    await world.promote(1)
    run = await world.runs.publish(summary(f1="worse", long="better"), "a")
    assert (await world.promote(2, run.run.id)).endswith(": long better")


async def test_a_missing_or_malformed_run_is_refused_before_anything_moves() -> None:
    world = World()
    await world.versions(2)
    await world.promote(1)
    with pytest.raises(NotFound, match="eval publish"):
        await world.promote(2, "ev-0000000000000000")
    with pytest.raises(InvalidRequest, match="not an evaluation run id"):
        await world.promote(2, "latest")
    assert await world.points_at() == 1
