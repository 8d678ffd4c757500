"""Whether a published evaluation run allows a promotion: a pure function of the move and the
run's summary, so every rule is tested on hand-built summaries.

A run allows pointing label L of prompt P at version V when:

1. it is complete (every item answered by every prompt);
2. L points at one version B now and the run's baseline resolved to exactly P@vB (a label that
   splits traffic has no single baseline: refused); a label that points nowhere yet needs no
   baseline;
3. a candidate resolved to exactly P@vV (every such candidate is judged);
4. that candidate has a verdict on every gated metric, from a comparison of at least one item,
   and is significantly worse on none of them.

Gated metrics are the ones the promotion names, else `prompts.gated_metrics`, else every
metric of the run. A refusal says exactly which rule failed and what to run instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from sluicegate.admin.eval_summary import RunCandidate, RunGate
from sluicegate.admin.prompt_refs import describe_targets
from sluicegate.admin.prompts import Promotion
from sluicegate.core.errors import Conflict

EVALUATION_FAILED = "evaluation_failed"


def judge_promotion(
    promotion: Promotion, run_id: str, gate: RunGate, metrics: Sequence[str] = ()
) -> str:
    """The note for the label's history (the run and its verdicts), or `Conflict` saying why
    the run does not allow the move."""
    name, label = promotion.name, promotion.label
    where = f"label '{label}' of '{name}'"
    if len(promotion.after) != 1:
        raise _refused(
            f"{where} would split traffic between {describe_targets(promotion.after)}; an "
            f"evaluation run allows one version, so point the label at one version"
        )
    wanted = f"{name}@v{promotion.after[0].version}"
    if not gate.complete:
        unfinished = "; ".join(gate.unfinished) or "some items have no answer"
        raise _refused(
            f"evaluation {run_id} is not complete ({unfinished}): run the same `eval run` "
            "command again to finish it, then publish it again"
        )
    _check_baseline(promotion, run_id, gate)
    chosen = [c for c in gate.candidates if c.resolved_versions == (wanted,)]
    if not chosen:
        listed = ", ".join(
            f"{c.spec} → {', '.join(c.resolved_versions) or 'nothing'}" for c in gate.candidates
        )
        raise _refused(
            f"evaluation {run_id} has no candidate that resolved to exactly {wanted} "
            f"(its candidates: {listed or 'none'}): evaluate with --prompt {wanted} as a "
            "candidate"
        )
    gated = tuple(dict.fromkeys(metrics)) or gate.metrics
    if not gated:
        raise _refused(f"evaluation {run_id} measured no metric, so it cannot judge {wanted}")
    for candidate in chosen:
        _check_candidate(candidate, run_id, gate, gated, wanted)
    verdicts = ", ".join(f"{metric} {chosen[0].verdicts[metric]}" for metric in gated)
    against = ", ".join(gate.baseline.resolved_versions) if promotion.before else "no baseline"
    return f"evaluation {run_id}: {wanted} against {against}: {verdicts}"


def _check_baseline(promotion: Promotion, run_id: str, gate: RunGate) -> None:
    before = promotion.before
    if not before:
        return
    where = f"label '{promotion.label}' of '{promotion.name}'"
    if len(before) > 1:
        raise _refused(
            f"{where} splits traffic between {describe_targets(before)}: a run's baseline is "
            "one version, so no run can show that the new version is no worse than what the "
            "label serves now. Take the label out of prompts.require_evaluation to move it off "
            "the split, or remove it and promote again with a run"
        )
    current = f"{promotion.name}@v{before[0].version}"
    resolved = gate.baseline.resolved_versions
    if resolved != (current,):
        shown = ", ".join(resolved) or "nothing"
        raise _refused(
            f"evaluation {run_id} compared against {gate.baseline.spec}, which resolved to "
            f"{shown}, but {where} points at v{before[0].version}: evaluate with --prompt "
            f"{promotion.name}@{promotion.label} (or {current}) as the baseline"
        )


def _check_candidate(
    candidate: RunCandidate, run_id: str, gate: RunGate, gated: Sequence[str], wanted: str
) -> None:
    missing = [metric for metric in gated if metric not in candidate.verdicts]
    if missing:
        known = ", ".join(candidate.verdicts) or "none"
        raise _refused(
            f"evaluation {run_id} has no verdict on {_listed(missing)} for {candidate.spec} "
            f"(its metrics: {known}): evaluate with those metrics, or name the metrics to gate "
            "on"
        )
    empty = [
        metric
        for metric in gated
        if (found := gate.comparisons.get((candidate.spec, metric))) is not None and found.n == 0
    ]
    if empty:
        raise _refused(
            f"evaluation {run_id} compared no item on {_listed(empty)} for {candidate.spec} "
            "(no item was scored in both versions), so it says nothing about them"
        )
    worse = [metric for metric in gated if candidate.verdicts[metric] == "worse"]
    if worse:
        figures = "; ".join(_figures(gate, candidate.spec, metric) for metric in worse)
        raise _refused(
            f"{wanted} ({candidate.spec}) is significantly worse than the baseline "
            f"{gate.baseline.spec} in evaluation {run_id}: {figures}"
        )


def _figures(gate: RunGate, spec: str, metric: str) -> str:
    found = gate.comparisons.get((spec, metric))
    if found is None or found.baseline_mean is None or found.candidate_mean is None:
        return metric
    n = f", n={found.n}" if found.n is not None else ""
    return f"{metric} {found.baseline_mean:.3g} → {found.candidate_mean:.3g}{n}"


def _listed(metrics: Sequence[str]) -> str:
    word = "metric" if len(metrics) == 1 else "metrics"
    return f"{word} " + ", ".join(metrics)


def _refused(message: str) -> Conflict:
    return Conflict(message, code=EVALUATION_FAILED, param="evaluation")
