"""The prompt shield with the transformer tier (`prompt_shield.model: transformer`).

The same rules and hidden-Unicode checks as `PromptShield`, with the fine-tuned transformer in
place of the linear classifier: it reads the normalised text with every disguise undone
(decoded, de-obfuscated, spaced letters collapsed) and any hidden text, paragraph by paragraph,
and the worst window decides. It never reads the disguised forms themselves: having learned
adversarial gibberish as a sign of attack, it would flag any base64 blob or leetspeak.

It detects more attacks at the same false-positive rate and costs tens to hundreds of
milliseconds per prompt instead of microseconds (docs/safety.md), so the gateway runs it in a
worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence

from sluicegate.safety.normalize import normalize
from sluicegate.safety.prompt_shield import PARAGRAPH_BREAK, PromptShield, classifier_finding
from sluicegate.safety.transformer_model import TransformerModel, load_transformer
from sluicegate.safety.verdict import CLEAN, Verdict

__all__ = ["TransformerPromptShield"]


class TransformerPromptShield:
    """`text -> Verdict` with JAILBREAK findings; build once, call from any thread.

    `threshold` is the model's probability that counts as an attack; by default the one tuned on
    validation data and stored in the model file."""

    __slots__ = ("_model", "_rules", "threshold")

    slow = True
    """Milliseconds per prompt: callers on an event loop run it in a worker thread."""

    def __init__(self, threshold: float | None = None, *, model: TransformerModel | None = None):
        self._model = model or load_transformer()
        self._rules = PromptShield(classifier=False)
        if threshold is None:
            threshold = self._model.threshold
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"a threshold is 0..1, not {threshold!r}")
        self.threshold = threshold

    @property
    def model(self) -> TransformerModel:
        return self._model

    def score(self, text: str) -> float:
        """The model's probability for `text`: its worst window of the worst paragraph of the
        plain and hidden readings. Paragraphs are read apart, so an attack appended to a pasted
        page is not averaged with the page."""
        return self._model.probability(_paragraphs(text))

    def scores(self, texts: Sequence[str]) -> list[float]:
        """`score` of each text, their windows batched together: for data sets and reports."""
        return self._model.probabilities([_paragraphs(text) for text in texts])

    def __call__(self, text: str) -> Verdict:
        return self._verdict(text, self.score(text))

    def verdicts(self, texts: Sequence[str]) -> list[Verdict]:
        """What calling the shield on each text gives, scored in one batched pass."""
        return [
            self._verdict(text, probability)
            for text, probability in zip(texts, self.scores(texts), strict=True)
        ]

    def _verdict(self, text: str, probability: float) -> Verdict:
        findings = list(self._rules(text).findings)
        if probability >= self.threshold:
            findings.append(classifier_finding(text, probability))
        return Verdict(tuple(findings)) if findings else CLEAN


def _paragraphs(text: str) -> list[str]:
    """What the model reads of `text`: each paragraph of its plain and hidden readings."""
    return [
        part
        for reading in normalize(text).plain_readings()
        for part in PARAGRAPH_BREAK.split(reading)
        if part and not part.isspace()
    ]
