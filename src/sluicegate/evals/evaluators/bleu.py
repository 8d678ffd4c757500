"""Sentence BLEU (Papineni et al., 2002) as sacreBLEU computes it, on its usual 0–100 scale.

Tokenisation is sacreBLEU's `13a` (the mteval-v13a rules), case-sensitive, n = 1…4. With m_n
the clipped n-gram matches and l_n the answer's n-grams:

    p_n = m_n / l_n, or 1 / (2^k · l_n) when m_n = 0 and it is the k-th such order
          ("exp" smoothing: Chen & Cherry 2014 method 3, the NIST mteval smoothing)
    BP  = 1 if c ≥ r else exp(1 − r / c)     c: answer length, r: closest reference length
    BLEU = 100 · BP · exp((1/N) · Σ ln p_n)

with N the effective order: orders the answer is too short to have are left out, so a
two-word answer is not scored 0 for want of 4-grams. No n-gram match at all scores 0. Every
reference (expected plus `metadata.references`) counts at once, as in multi-reference BLEU.
"""

from __future__ import annotations

from sacrebleu.metrics.bleu import BLEU

from sluicegate.evals.evaluators.reference_metric import ReferenceFormula


def sentence_bleu(answer: str, refs: list[str]) -> float:
    """BLEU of one answer against its references, 0–100."""
    scorer = BLEU(smooth_method="exp", tokenize="13a", effective_order=True)
    return float(scorer.sentence_score(answer, refs).score)


class SentenceBleu(ReferenceFormula):
    """Score in [0, 100]: smoothed sentence BLEU against the item's references."""

    def __init__(self, name: str = "bleu") -> None:
        super().__init__(name, sentence_bleu)
