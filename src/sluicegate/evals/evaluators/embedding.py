"""Embedding similarity: the cosine of the angle between the answer's and the reference's
embedding vectors,

    cos(a, r) = (a · r) / (‖a‖ · ‖r‖)        in [−1, 1]; the best over all references counts.

No model ships with sluicegate, so the vectors come from an `embed` function the caller
supplies: `sluicegate eval` passes one that calls `/v1/embeddings` through the gateway, and a
test passes a fake. All texts of one item go in one call. A zero vector has no direction, so
that item is left out (value None) with the reason. Errors of `embed` itself (the endpoint is
down) are not an answer's fault and propagate to the caller.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence

from sluicegate.evals.evaluator import Score
from sluicegate.evals.evaluators.reference_metric import ReferenceMetric
from sluicegate.evals.evaluators.references import not_applicable

EmbedFn = Callable[[list[str]], Awaitable[list[list[float]]]]
"""Embeds texts: one vector per text, in order."""


def cosine(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Cosine similarity, or None when either vector is zero. Vectors must be equally long."""
    if len(a) != len(b):
        raise ValueError(f"vectors differ in length: {len(a)} and {len(b)}")
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    if norm == 0.0:
        return None
    return max(-1.0, min(1.0, math.fsum(x * y for x, y in zip(a, b, strict=True)) / norm))


class EmbeddingSimilarity(ReferenceMetric):
    """Score in [−1, 1]: cosine similarity of answer and reference embeddings."""

    def __init__(self, embed: EmbedFn, name: str = "embedding") -> None:
        super().__init__(name)
        self._embed = embed

    async def compare(self, answer: str, refs: list[str]) -> Score:
        vectors = await self._embed([answer, *refs])
        if len(vectors) != len(refs) + 1:
            return not_applicable(
                self._name,
                f"the embeddings call returned {len(vectors)} vectors for {len(refs) + 1} texts",
            )
        try:
            sims = [cosine(vectors[0], ref) for ref in vectors[1:]]
        except ValueError as exc:
            return not_applicable(self._name, f"unusable embeddings: {exc}")
        found = [sim for sim in sims if sim is not None]
        if not found:
            return not_applicable(self._name, "an embedding is the zero vector")
        return Score(metric=self._name, value=max(found))
