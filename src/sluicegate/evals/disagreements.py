"""The items where prompt versions disagree: where a reader should look first.

An item disagrees on a pass/fail metric when one version passes and another fails, and on a
score metric when two versions' scores are at least a tenth of that metric's observed range
apart (a judge's 1–5 rating: any full point; F1: 0.1). Items come most-disagreeing first, then
in dataset order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sluicegate.evals.evaluator import EvalItem, Score
from sluicegate.evals.records import ItemResult
from sluicegate.evals.summary import Metric

SCORE_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Disagreement:
    item: EvalItem
    metrics: tuple[str, ...]
    results: tuple[ItemResult | None, ...]
    """One per prompt, in the run's order."""


def find_disagreements(
    items: Sequence[EvalItem],
    prompts: Sequence[str],
    results: Mapping[tuple[str, str], ItemResult],
    metrics: Sequence[Metric],
    extra: Mapping[str, Mapping[tuple[str, str], Score]] | None = None,
) -> list[Disagreement]:
    """`extra` adds scores kept outside the results (the experts' marks), by metric."""
    if len(prompts) < 2:
        return []
    gaps = _score_gaps(results, metrics)
    found: list[tuple[int, int, Disagreement]] = []
    for order, item in enumerate(items):
        row = tuple(results.get((item.id, spec)) for spec in prompts)
        answered = [r for r in row if r is not None and r.done]
        if len(answered) < 2:
            continue
        differing = []
        for metric in metrics:
            scores = [_score(r, metric.name, extra) for r in answered]
            if _differs(metric, scores, gaps.get(metric.name)):
                differing.append(metric.name)
        if differing:
            found.append((-len(differing), order, Disagreement(item, tuple(differing), row)))
    found.sort(key=lambda entry: (entry[0], entry[1]))
    return [entry[2] for entry in found]


def _score(
    result: ItemResult, metric: str, extra: Mapping[str, Mapping[tuple[str, str], Score]] | None
) -> Score | None:
    if extra is not None and metric in extra:
        return extra[metric].get((result.item, result.prompt))
    return result.scores.get(metric)


def _differs(metric: Metric, scores: Sequence[Score | None], gap: float | None) -> bool:
    if metric.kind == "pass_fail":
        outcomes = {s.passed for s in scores if s is not None and s.passed is not None}
        return len(outcomes) > 1
    values = [s.value for s in scores if s is not None and s.value is not None]
    if len(values) < 2 or gap is None:
        return False
    return max(values) - min(values) >= gap


def _score_gaps(
    results: Mapping[tuple[str, str], ItemResult], metrics: Sequence[Metric]
) -> dict[str, float]:
    gaps: dict[str, float] = {}
    for metric in metrics:
        if metric.kind != "score":
            continue
        values = [
            score.value
            for result in results.values()
            if (score := result.scores.get(metric.name)) is not None and score.value is not None
        ]
        if values and max(values) > min(values):
            gaps[metric.name] = SCORE_SHARE * (max(values) - min(values))
    return gaps
