"""Exact match: pass when the answer equals a reference after the chosen normalisation.

    EM = 1 if norm(answer) == norm(reference) for some reference, else 0

Surrounding whitespace is always ignored (models end answers with a newline); anything else
counts unless an option says otherwise: `case`, `whitespace`, `punctuation` or `squad`
(see `normalize`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sluicegate.evals.evaluator import EvalItem, MetricKind, Score
from sluicegate.evals.evaluators.normalize import Normalization, normalize
from sluicegate.evals.evaluators.references import not_applicable, references


class ExactMatch:
    """Pass/fail: does the answer equal the expected answer (or one of the references)?"""

    def __init__(self, name: str = "exact", options: Iterable[Normalization] = ()) -> None:
        self._name = name
        self._options = tuple(options)

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> MetricKind:
        return "pass_fail"

    async def evaluate(self, item: EvalItem, answer: str) -> Score:
        refs = references(item)
        if not refs:
            return not_applicable(self._name)
        got = normalize(answer, self._options)
        passed = any(got == normalize(ref, self._options) for ref in refs)
        return Score(metric=self._name, value=1.0 if passed else 0.0, passed=passed)
