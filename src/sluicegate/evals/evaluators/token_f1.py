"""SQuAD token F1: the overlap of answer and reference as bags of words.

Both texts get the SQuAD v1.1 normalisation (lowercase, no punctuation, no a/an/the, single
spaces) and are split on whitespace. With `common` the size of the multiset intersection:

    precision = common / |answer tokens|      recall = common / |reference tokens|
    F1 = 2 · precision · recall / (precision + recall),   0 when common = 0

The best F1 over all references counts. When both sides normalise to nothing, F1 is 1 (the
SQuAD v2.0 script's rule; v1.1 left the case undefined).
"""

from __future__ import annotations

from collections import Counter

from sluicegate.evals.evaluators.normalize import squad_tokens
from sluicegate.evals.evaluators.reference_metric import ReferenceFormula, best_match


def token_f1(answer: str, reference: str) -> float:
    """F1 of one answer against one reference, in [0, 1]."""
    got = squad_tokens(answer)
    want = squad_tokens(reference)
    if not got or not want:
        return 1.0 if got == want else 0.0
    common = sum((Counter(got) & Counter(want)).values())
    if common == 0:
        return 0.0
    precision = common / len(got)
    recall = common / len(want)
    return 2 * precision * recall / (precision + recall)


class TokenF1(ReferenceFormula):
    """Score in [0, 1]: SQuAD token F1 against the best-matching reference."""

    def __init__(self, name: str = "f1") -> None:
        super().__init__(name, best_match(token_f1))
