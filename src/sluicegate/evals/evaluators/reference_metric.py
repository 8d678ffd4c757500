"""What every score metric against references does alike: it is named, it is a score (not
pass/fail), and it leaves out an item with no reference (see `references`). A metric then only
says how an answer compares with the references it is given, at least one."""

from __future__ import annotations

from collections.abc import Callable

from sluicegate.evals.evaluator import EvalItem, MetricKind, Score
from sluicegate.evals.evaluators.references import not_applicable, references

Formula = Callable[[str, list[str]], float]
"""A metric's value for an answer and the item's references."""


class ReferenceMetric:
    """A score metric of the answer against the item's references; `compare` scores it."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> MetricKind:
        return "score"

    async def evaluate(self, item: EvalItem, answer: str) -> Score:
        refs = references(item)
        if not refs:
            return not_applicable(self._name)
        return await self.compare(answer, refs)

    async def compare(self, answer: str, refs: list[str]) -> Score:
        """The verdict on an answer to an item with references."""
        raise NotImplementedError


class ReferenceFormula(ReferenceMetric):
    """A metric that is a pure formula of the answer and the references."""

    def __init__(self, name: str, formula: Formula) -> None:
        super().__init__(name)
        self._formula = formula

    async def compare(self, answer: str, refs: list[str]) -> Score:
        return Score(metric=self._name, value=self._formula(answer, refs))


def best_match(formula: Callable[[str, str], float]) -> Formula:
    """A formula of one answer and one reference, taken at the best-matching reference."""
    return lambda answer, refs: max(formula(answer, ref) for ref in refs)
