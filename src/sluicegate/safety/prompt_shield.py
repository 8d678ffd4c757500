"""Prompt shield: jailbreaks and direct prompt injection in what a user sends.

Pipeline per text: normalise (canonical form plus hidden, decoded and de-obfuscated readings),
then the high-precision rules and the linear classifier over every reading. Rules report where
they matched (offsets in the original text when the canonical form lines up with it, else the
whole text); the classifier reports its probability for the worst window of the worst paragraph
of the worst reading (it abstains on text in other languages, see `classifier.foreign`, and
skips quotations introduced as mentions, "phrases like "…"", as the rules do).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from sluicegate.safety.classifier import LinearModel, load_model, sigmoid, tokens
from sluicegate.safety.injection_rules import DIRECT_RULES
from sluicegate.safety.normalize import Normalized, normalize
from sluicegate.safety.rule_engine import Rule, matches, without_quoted_mentions
from sluicegate.safety.verdict import CLEAN, DETECTED, Category, Finding, Span, Verdict

__all__ = ["PromptShield", "classifier_finding", "scan"]

DETECTOR = "prompt_shield"
PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
"""A blank line: where paragraphs end."""
_LEADING = " \t\r\n\f\v.!?:;,>])*#-"
"""Separators some rules match before their first word, left out of the reported span."""
CLASSIFIER_LABEL = "classifier"
HIDDEN_LABEL = "hidden_unicode"


def scan(
    text: str,
    normalized: Normalized,
    rules: Sequence[Rule],
    model: LinearModel | None,
) -> tuple[dict[str, list[Span]], float]:
    """Rule spans by rule name, and the classifier's worst margin (-inf without a model).

    Shared by the prompt and document shields: one tokenisation per reading serves both the
    rules' trigger check and the classifier. The classifier scores each blank-line-separated
    paragraph on its own (in windows when long), so an injection appended as a paragraph to a
    pasted page is not averaged with the page.
    """
    whole = Span(0, len(text), "")
    found: dict[str, list[Span]] = {}
    margin = float("-inf")
    for index, reading in enumerate(normalized.readings()):
        parts = paragraphs(reading)
        words = frozenset(word for part in parts for word in part)
        for rule, match in matches(rules, reading, words):
            spans = found.setdefault(rule.name, [])
            if index == 0 and normalized.aligned:
                start = match.start() + len(match.group()) - len(match.group().lstrip(_LEADING))
                spans.append(Span(start, match.end(), rule.name))
            elif not spans:  # a variant adds nothing where the text itself already matched
                spans.append(whole)
        if model is not None:
            unquoted = without_quoted_mentions(reading)
            if unquoted is not reading:
                parts = paragraphs(unquoted)
            margin = max(margin, *(model.margin_of(part) for part in parts))
    return found, margin


def paragraphs(reading: str) -> list[list[bytes]]:
    """The words of each blank-line-separated paragraph (one empty list for empty text)."""
    if "\n" not in reading:
        return [tokens(reading)]
    parts = [tokens(part) for part in PARAGRAPH_BREAK.split(reading) if not part.isspace()]
    return [part for part in parts if part] or [[]]


def classifier_units(reading: str) -> list[list[bytes]]:
    """What the classifier scores in one reading: its paragraphs' words, quotations that
    follow a mention cue left out (`without_quoted_mentions`). Training uses the same."""
    return paragraphs(without_quoted_mentions(reading))


def classifier_finding(text: str, probability: float) -> Finding:
    """A model's verdict: it scores windows, not words, so it speaks for the whole text."""
    return Finding(
        Category.JAILBREAK, DETECTED, probability, (Span(0, len(text)),), DETECTOR, CLASSIFIER_LABEL
    )


def hidden_spans(normalized: Normalized) -> tuple[Span, ...]:
    return tuple(Span(start, end, HIDDEN_LABEL) for start, end in normalized.hidden_spans)


class PromptShield:
    """`text -> Verdict` with JAILBREAK findings; build once, call from any thread.

    `threshold` is the classifier probability that counts as an attack; by default the one tuned
    on validation data and stored in the model file. `classifier=False` runs the rules alone.
    """

    __slots__ = ("_model", "_rules", "threshold")

    def __init__(
        self,
        threshold: float | None = None,
        *,
        model: LinearModel | None = None,
        model_path: Path | None = None,
        classifier: bool = True,
        rules: Sequence[Rule] = DIRECT_RULES,
    ) -> None:
        self._model = (model or load_model(model_path)) if classifier else None
        self._rules = tuple(rules)
        if threshold is None:
            threshold = self._model.threshold if self._model is not None else 1.0
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"a threshold is 0..1, not {threshold!r}")
        self.threshold = threshold

    @property
    def model(self) -> LinearModel | None:
        return self._model

    def score(self, text: str) -> float:
        """The classifier's probability for `text` (its worst reading, paragraph and window)."""
        if self._model is None:
            return 0.0
        return sigmoid(scan(text, normalize(text), (), self._model)[1])

    def __call__(self, text: str) -> Verdict:
        normalized = normalize(text)
        found, margin = scan(text, normalized, self._rules, self._model)
        findings = [
            Finding(Category.JAILBREAK, DETECTED, 1.0, tuple(spans), DETECTOR, name)
            for name, spans in found.items()
        ]
        if normalized.hidden_spans:
            findings.append(
                Finding(
                    Category.JAILBREAK,
                    DETECTED,
                    1.0,
                    hidden_spans(normalized),
                    DETECTOR,
                    HIDDEN_LABEL,
                )
            )
        probability = sigmoid(margin) if self._model is not None else 0.0
        if probability >= self.threshold and self._model is not None:
            findings.append(classifier_finding(text, probability))
        return Verdict(tuple(findings)) if findings else CLEAN
