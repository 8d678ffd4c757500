"""What an evaluator is: a named metric that scores one answer to one dataset item.

Evaluators are async because some of them (the LLM judge, embedding similarity through an
endpoint) call a model; the pure ones simply return. Every metric is one of two kinds, and the
comparison between prompt versions depends on it: pass/fail metrics are compared with McNemar's
test, score metrics with a paired bootstrap interval. Higher is always better.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

MetricKind = Literal["pass_fail", "score"]


@dataclass(frozen=True, slots=True)
class EvalItem:
    """One line of a dataset: the prompt's variables, what a good answer is (when known) and
    anything else the dataset carries."""

    id: str
    inputs: Mapping[str, Any]
    expected: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Score:
    """One metric's verdict on one answer. `value` is None when the metric does not apply (no
    expected answer, say), and such items are left out of that metric's comparison."""

    metric: str
    value: float | None
    passed: bool | None = None
    """For pass/fail metrics; None for score metrics."""
    reason: str | None = None
    """Why: the judge's reasoning, or what went wrong while scoring."""


class Evaluator(Protocol):
    """A metric. `name` is unique within a run and names the metric in reports."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> MetricKind: ...

    async def evaluate(self, item: EvalItem, answer: str) -> Score: ...
