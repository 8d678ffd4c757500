"""What an answer is compared with: the item's expected answer, plus any alternatives the
dataset lists under `metadata.references` (SQuAD has several reference answers per question;
a metric takes the best match over all of them)."""

from __future__ import annotations

from sluicegate.evals.evaluator import EvalItem, Score

NO_REFERENCE = "the item has no expected answer"


def references(item: EvalItem) -> list[str]:
    """`expected` first, then the strings of `metadata["references"]` (a list), without repeats."""
    found: list[str] = []
    if item.expected is not None:
        found.append(item.expected)
    extra = item.metadata.get("references")
    if isinstance(extra, list | tuple):
        found.extend(ref for ref in extra if isinstance(ref, str) and ref not in found)
    return found


def not_applicable(metric: str, reason: str = NO_REFERENCE) -> Score:
    """A Score that leaves this item out of the metric's comparison."""
    return Score(metric=metric, value=None, reason=reason)
