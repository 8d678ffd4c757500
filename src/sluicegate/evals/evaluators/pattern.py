"""Regex match: pass when the pattern is found in the answer.

`re.search` by default, so the pattern may match anywhere; anchor it (`^…$`, or `\\A…\\Z` to
refuse a trailing newline) or use the full-match variant, which passes only when
`re.fullmatch` matches the whole answer with surrounding whitespace stripped. Inline flags such
as `(?i)` work. The pattern comes from the spec, else from the item's `metadata.regex`.
"""

from __future__ import annotations

import re

from sluicegate.evals.evaluator import EvalItem, MetricKind, Score
from sluicegate.evals.evaluators.errors import EvaluatorSpecError
from sluicegate.evals.evaluators.references import not_applicable

METADATA_KEY = "regex"


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a pattern from a spec, with a readable error for a bad one."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise EvaluatorSpecError(f"invalid regular expression {pattern!r}: {exc}") from None


class RegexMatch:
    """Pass/fail: does the answer match the pattern (search, or full match)?"""

    def __init__(
        self, name: str = "regex", pattern: str | None = None, *, full: bool = False
    ) -> None:
        self._name = name
        self._pattern = compile_pattern(pattern) if pattern is not None else None
        self._full = full

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> MetricKind:
        return "pass_fail"

    async def evaluate(self, item: EvalItem, answer: str) -> Score:
        pattern = self._pattern
        if pattern is None:
            raw = item.metadata.get(METADATA_KEY)
            if not isinstance(raw, str):
                return not_applicable(
                    self._name, f"no pattern: give one in the spec or in metadata.{METADATA_KEY}"
                )
            try:
                pattern = re.compile(raw)
            except re.error as exc:
                return not_applicable(self._name, f"invalid pattern in metadata: {exc}")
        found = pattern.fullmatch(answer.strip()) if self._full else pattern.search(answer)
        passed = found is not None
        return Score(metric=self._name, value=1.0 if passed else 0.0, passed=passed)
