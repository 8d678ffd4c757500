"""The summary of a run (`RUNDIR/summary.json`): per prompt, quality beside cost, tokens and
latency; per metric and candidate, the paired comparison with the baseline (the first
`--prompt`); the agreement of LLM judges with expert marks; and a `gate` block that a promotion
check can read without knowing the statistics:

    "gate": {"complete": true, "alpha": 0.05,
             "baseline": {"spec": "support@production", "resolved_versions": ["support@v7"]},
             "candidates": [{"spec": "support@v8", "resolved_versions": ["support@v8"],
                             "worse_on": [], "better_on": ["f1"], "verdicts": {"f1": "better"}}]}

Only answered items count: an item one version failed to answer (after retries) is left out of
that metric's comparison, and the error counts are shown beside it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sluicegate.evals.evaluator import MetricKind, Score
from sluicegate.evals.records import ItemResult
from sluicegate.evals.review_marks import HUMAN_METRIC, ReviewMarks
from sluicegate.evals.rundir import Manifest
from sluicegate.evals.stats import MetricComparison, cohen_kappa, compare

SUMMARY_FORMAT = "sluicegate-eval-summary/1"
DEFAULT_JUDGE_THRESHOLD = 4.0
"""A 1–5 judge rating at or above this counts as a pass when it is compared with experts."""


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    kind: MetricKind
    spec: str

    @property
    def is_judge(self) -> bool:
        return self.spec.split("=", 1)[-1].strip().lower().startswith("judge:")


def run_metrics(manifest: Manifest, review: ReviewMarks | None) -> list[Metric]:
    """The run's metrics in order, with `human` last when experts marked any answer."""
    metrics = [Metric(str(e["name"]), e["kind"], str(e["spec"])) for e in manifest.evaluators]
    if review is not None and review.marks:
        metrics.append(Metric(HUMAN_METRIC, "pass_fail", HUMAN_METRIC))
    return metrics


def scores_by_metric(
    results: Mapping[tuple[str, str], ItemResult],
    prompt: str,
    metrics: Sequence[Metric],
    review: ReviewMarks | None,
) -> dict[str, dict[str, Score]]:
    """`metric -> item -> score` of one prompt's answered items (human marks included)."""
    table: dict[str, dict[str, Score]] = {metric.name: {} for metric in metrics}
    for (item, spec), result in results.items():
        if spec != prompt or not result.done:
            continue
        for name, score in result.scores.items():
            if name in table:
                table[name][item] = score
        if review is not None and HUMAN_METRIC in table:
            mark = review.marks.get((item, prompt))
            if mark is not None and mark.passed is not None:
                table[HUMAN_METRIC][item] = Score(HUMAN_METRIC, float(mark.passed), mark.passed)
    return table


def summarise(
    manifest: Manifest,
    results: Mapping[tuple[str, str], ItemResult],
    review: ReviewMarks | None = None,
    *,
    alpha: float = 0.05,
    judge_threshold: float = DEFAULT_JUDGE_THRESHOLD,
    resamples: int = 10_000,
    generated_at: str = "",
) -> dict[str, Any]:
    """The summary as JSON-ready data (see the module doc)."""
    metrics = run_metrics(manifest, review)
    kinds: dict[str, MetricKind] = {metric.name: metric.kind for metric in metrics}
    specs = manifest.prompt_specs
    items = int(manifest.dataset.get("items", 0))
    per_prompt = [
        _prompt_summary(p, results, metrics, review, items, index == 0)
        for index, p in enumerate(manifest.prompts)
    ]
    scores = {spec: scores_by_metric(results, spec, metrics, review) for spec in specs}
    comparisons: list[dict[str, Any]] = []
    for candidate in specs[1:]:
        compared = compare(
            scores[specs[0]], scores[candidate], kinds, alpha=alpha, resamples=resamples
        )
        comparisons.extend(_comparison(specs[0], candidate, c) for c in compared.values())
    agreement = _agreement(metrics, scores, judge_threshold)
    complete = all(p["pending"] == 0 and p["errors"] == 0 for p in per_prompt)
    return {
        "format": SUMMARY_FORMAT,
        "generated_at": generated_at,
        "run": {
            "dataset": dict(manifest.dataset),
            "model": manifest.model,
            "target": manifest.target,
            "created_at": manifest.created_at,
            "complete": complete,
        },
        "alpha": alpha,
        "metrics": [{"name": m.name, "kind": m.kind, "spec": m.spec} for m in metrics],
        "prompts": per_prompt,
        "comparisons": comparisons,
        "agreement": agreement,
        "judge_threshold": judge_threshold,
        "warnings": _warnings(per_prompt),
        "gate": _gate(per_prompt, comparisons, alpha, complete),
    }


def _prompt_summary(
    prompt: Mapping[str, Any],
    results: Mapping[tuple[str, str], ItemResult],
    metrics: Sequence[Metric],
    review: ReviewMarks | None,
    items: int,
    baseline: bool,
) -> dict[str, Any]:
    spec = str(prompt["spec"])
    mine = [r for (_, p), r in results.items() if p == spec]
    done = [r for r in mine if r.done]
    resolved = Counter(r.resolved_version for r in done if r.resolved_version)
    latencies = [r.latency_s for r in done if r.latency_s is not None]
    usages = [r.usage for r in done if r.usage is not None]
    costs = [r.cost_usd for r in done if r.cost_usd is not None]
    scores = scores_by_metric(results, spec, metrics, review)
    prompt_tokens = sum(u.prompt_tokens for u in usages)
    completion_tokens = sum(u.completion_tokens for u in usages)
    return {
        **dict(prompt),
        "role": "baseline" if baseline else "candidate",
        "answered": len(done),
        "errors": len(mine) - len(done),
        "pending": items - len(mine),
        "error_examples": sorted({str(r.error) for r in mine if not r.done})[:3],
        "resolved_versions": dict(sorted(resolved.items())),
        "latency_s": _distribution(latencies),
        "tokens": {
            "prompt": prompt_tokens,
            "completion": completion_tokens,
            "total": prompt_tokens + completion_tokens,
            "mean_per_answer": (prompt_tokens + completion_tokens) / len(usages)
            if usages
            else None,
            "answers_with_usage": len(usages),
        },
        "cost_usd": {"total": math.fsum(costs), "mean_per_answer": math.fsum(costs) / len(costs)}
        if costs
        else None,
        "metrics": {
            metric.name: _metric_summary(metric, scores[metric.name], len(done))
            for metric in metrics
        },
    }


def _metric_summary(metric: Metric, scores: Mapping[str, Score], answered: int) -> dict[str, Any]:
    if metric.kind == "pass_fail":
        outcomes = [s.passed for s in scores.values() if s.passed is not None]
        passes = sum(1 for passed in outcomes if passed)
        return {
            "kind": metric.kind,
            "n": len(outcomes),
            "not_scored": answered - len(outcomes) if metric.name != HUMAN_METRIC else None,
            "passes": passes,
            "mean": passes / len(outcomes) if outcomes else None,
        }
    values = [s.value for s in scores.values() if s.value is not None and math.isfinite(s.value)]
    return {
        "kind": metric.kind,
        "n": len(values),
        "not_scored": answered - len(values),
        "mean": math.fsum(values) / len(values) if values else None,
        "stdev": float(np.std(values, ddof=1)) if len(values) > 1 else None,
    }


def _distribution(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "p50": None, "p95": None, "max": None}
    array = np.asarray(values, dtype=np.float64)
    p50, p95 = np.percentile(array, [50, 95])
    return {
        "mean": float(array.mean()),
        "p50": float(p50),
        "p95": float(p95),
        "max": float(array.max()),
    }


def _comparison(baseline: str, candidate: str, c: MetricComparison) -> dict[str, Any]:
    interval = c.interval
    test = c.mcnemar
    return {
        "baseline": baseline,
        "candidate": candidate,
        "metric": c.metric,
        "kind": c.kind,
        "n": c.n,
        "excluded": c.excluded,
        "baseline_mean": c.baseline_mean,
        "candidate_mean": c.candidate_mean,
        "difference": c.difference,
        "ci": [interval.low, interval.high] if interval is not None else None,
        "confidence": interval.confidence if interval is not None else None,
        "test": f"mcnemar-{test.method}" if test is not None else "paired-bootstrap",
        "p_value": test.p_value if test is not None else None,
        "wins": c.wins,
        "ties": c.ties,
        "losses": c.losses,
        "verdict": c.verdict,
        "warnings": list(c.warnings),
    }


def judge_passed(score: Score, threshold: float) -> bool | None:
    """A judge's verdict as pass/fail: its own when it gives one, else rating >= threshold."""
    if score.passed is not None:
        return score.passed
    if score.value is None or not math.isfinite(score.value):
        return None
    return score.value >= threshold


def _agreement(
    metrics: Sequence[Metric],
    scores: Mapping[str, Mapping[str, Mapping[str, Score]]],
    threshold: float,
) -> list[dict[str, Any]]:
    """Each LLM-judge metric against the experts, over every answer both rated (all prompts
    pooled: the question is whether the judge can be trusted, whichever version answered)."""
    if not any(m.name == HUMAN_METRIC for m in metrics):
        return []
    rows: list[dict[str, Any]] = []
    for metric in metrics:
        if not metric.is_judge:
            continue
        judge: list[bool] = []
        human: list[bool] = []
        for by_metric in scores.values():
            for item, mark in by_metric[HUMAN_METRIC].items():
                score = by_metric[metric.name].get(item)
                verdict = judge_passed(score, threshold) if score is not None else None
                if verdict is not None and mark.passed is not None:
                    judge.append(verdict)
                    human.append(mark.passed)
        found = cohen_kappa(judge, human, labels=[False, True]) if judge else None
        rows.append(
            {
                "metric": metric.name,
                "threshold": threshold if metric.kind == "score" else None,
                "n": len(judge),
                "agreement": found.agreement if found is not None else None,
                "kappa": found.kappa if found is not None else None,
            }
        )
    return rows


def _warnings(per_prompt: Sequence[Mapping[str, Any]]) -> list[str]:
    warnings: list[str] = []
    for prompt in per_prompt:
        versions = prompt["resolved_versions"]
        if prompt["kind"] == "registry" and len(versions) > 1:
            warnings.append(
                f"{prompt['spec']} was served by {len(versions)} versions during the run "
                f"({', '.join(versions)}): its label moved or splits traffic"
            )
        if prompt["errors"]:
            warnings.append(
                f"{prompt['spec']}: {prompt['errors']} item(s) got no answer "
                f"({'; '.join(prompt['error_examples'])})"
            )
        if prompt["pending"]:
            warnings.append(
                f"{prompt['spec']}: {prompt['pending']} item(s) not run yet (resume the run)"
            )
    return warnings


def _gate(
    per_prompt: Sequence[Mapping[str, Any]],
    comparisons: Sequence[Mapping[str, Any]],
    alpha: float,
    complete: bool,
) -> dict[str, Any]:
    baseline = per_prompt[0]
    candidates = []
    for prompt in per_prompt[1:]:
        mine = [c for c in comparisons if c["candidate"] == prompt["spec"]]
        candidates.append(
            {
                "spec": prompt["spec"],
                "resolved_versions": list(prompt["resolved_versions"]),
                "verdicts": {c["metric"]: c["verdict"] for c in mine},
                "worse_on": [c["metric"] for c in mine if c["verdict"] == "worse"],
                "better_on": [c["metric"] for c in mine if c["verdict"] == "better"],
            }
        )
    return {
        "complete": complete,
        "alpha": alpha,
        "baseline": {
            "spec": baseline["spec"],
            "resolved_versions": list(baseline["resolved_versions"]),
        },
        "candidates": candidates,
    }
