"""ROUGE-L (Lin, 2004): how much of the reference the answer covers in order, via the longest
common subsequence (LCS) of their tokens.

Tokens are lowercased runs of letters and digits (everything else separates them; for ASCII
text this is the `rouge-score` package's tokeniser, without stemming). With X the answer's m
tokens and Y the reference's n:

    P = LCS(X, Y) / m      R = LCS(X, Y) / n      ROUGE-L = 2 · P · R / (P + R)

(the F-measure with β = 1, as `rouge-score` reports it), 0 when there is no common token. The
best score over all references counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sluicegate.evals.evaluators.reference_metric import ReferenceFormula, best_match

_TOKEN = re.compile(r"[^\W_]+")


def rouge_tokens(text: str) -> list[str]:
    """Lowercased runs of letters and digits."""
    return _TOKEN.findall(text.lower())


def lcs_length(x: Sequence[str], y: Sequence[str]) -> int:
    """Length of the longest common subsequence, by dynamic programming in O(m·n) time and
    O(n) memory."""
    if len(x) < len(y):
        x, y = y, x
    previous = [0] * (len(y) + 1)
    for token in x:
        current = [0]
        for j, other in enumerate(y, start=1):
            current.append(
                previous[j - 1] + 1 if token == other else max(previous[j], current[j - 1])
            )
        previous = current
    return previous[-1]


def rouge_l(answer: str, reference: str) -> float:
    """ROUGE-L F-measure of one answer against one reference, in [0, 1]."""
    got = rouge_tokens(answer)
    want = rouge_tokens(reference)
    if not got or not want:
        return 0.0
    common = lcs_length(got, want)
    if common == 0:
        return 0.0
    precision = common / len(got)
    recall = common / len(want)
    return 2 * precision * recall / (precision + recall)


class RougeL(ReferenceFormula):
    """Score in [0, 1]: ROUGE-L F-measure against the best-matching reference."""

    def __init__(self, name: str = "rouge_l") -> None:
        super().__init__(name, best_match(rouge_l))
