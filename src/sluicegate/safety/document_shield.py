"""Document shield: indirect prompt injection in documents, web pages and tool results.

Documents are data the model reads, so the question is whether they address the model: an
instruction to "the AI assistant", a request to hide something from the user, a markdown image
whose URL would carry conversation data to a third party when rendered, text hidden in
invisible characters, or the direct-injection phrasings and classifier of the prompt shield at a
stricter threshold. Text that merely talks about these attacks (quoted, or after "such as" or
"how to") is not flagged by the rules.

The document is scanned in chunks of paragraphs (up to `chunk_chars` characters), so a finding
points at its paragraph and one odd character does not cost the whole document its offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from sluicegate.safety.classifier import DOCUMENT_MODEL_PATH, LinearModel, load_model, sigmoid
from sluicegate.safety.injection_rules import DIRECT_RULES, INDIRECT_RULES
from sluicegate.safety.normalize import normalize
from sluicegate.safety.prompt_shield import (
    CLASSIFIER_LABEL,
    HIDDEN_LABEL,
    PARAGRAPH_BREAK,
    hidden_spans,
    scan,
)
from sluicegate.safety.rule_engine import Rule
from sluicegate.safety.verdict import CLEAN, DETECTED, Category, Finding, Span, Verdict

__all__ = ["DocumentShield", "chunks", "exfiltration_spans"]

DETECTOR = "document_shield"
EXFILTRATION_LABEL = "markdown_exfiltration"
CHUNK_CHARS = 2_000

_SPLIT_LOOKBACK = 200


def _pieces(text: str, limit: int) -> Iterator[tuple[int, int]]:
    """Paragraph spans, long paragraphs cut at whitespace into pieces of at most `limit`."""
    start = 0
    for brk in PARAGRAPH_BREAK.finditer(text):
        yield from _cut(text, start, brk.end(), limit)
        start = brk.end()
    yield from _cut(text, start, len(text), limit)


def _cut(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    while end - start > limit:
        stop = start + limit
        lookback = max(start + 1, stop - _SPLIT_LOOKBACK)
        space = max(text.rfind(" ", lookback, stop), text.rfind("\n", lookback, stop))
        cut = space + 1 if space >= lookback else stop
        yield start, cut
        start = cut
    if end > start:
        yield start, end


def chunks(text: str, limit: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """`(offset, chunk)`: consecutive paragraphs joined up to `limit` characters."""
    chunk_start = chunk_end = 0
    for start, end in _pieces(text, limit):
        if end - chunk_start > limit and chunk_end > chunk_start:
            yield chunk_start, text[chunk_start:chunk_end]
            chunk_start = start
        chunk_end = end
    if chunk_end > chunk_start:
        yield chunk_start, text[chunk_start:chunk_end]


# --- markdown and HTML exfiltration ---------------------------------------------------------

_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\]\(\s*<?(https?://[^\s)>]+)", re.IGNORECASE)
_LINK = re.compile(r"(?<!!)\[[^\]\n]{0,500}\]\(\s*<?(https?://[^\s)>]+)", re.IGNORECASE)
_HTML_IMAGE = re.compile(
    r"<img\b[^>]{0,500}?\bsrc\s*=\s*[\"']?(https?://[^\"'\s>]+)", re.IGNORECASE
)
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]\n]{1,200}\]:\s*<?(https?://\S+?)>?\s*$", re.MULTILINE)
_PLACEHOLDER = re.compile(
    r"\{\{?[^{}]{0,80}\}|\$\{|\$[A-Za-z_]\w*|%7[Bb]|<[\w .-]{1,40}>|\[[\w .-]{1,40}\]"
    r"|\b(?:INSERT|REPLACE|PLACEHOLDER|YOUR_\w+|USER_\w+|CONVERSATION|CHAT_?HISTORY|SUMMARY"
    r"|SECRET|PASSWORD|DATA)\b",
)
_DATA_PARAMETER = re.compile(
    r"^(?:d|data|q|query|p|prompt|secret|secrets|conversation|convo|history|chat|msg|message"
    r"|messages|password|pass|pwd|token|key|apikey|api_key|ssn|email|memory|context|summary"
    r"|exfil|leak|payload|info|content|text|creds?|credentials|session|cookie|user|input|answer"
    r"|response|output|log)$",
    re.IGNORECASE,
)
MIN_DATA_CHARS = 24
"""A value this long in a data-named parameter of an auto-loaded image is carrying something."""


def _carries_data(url: str, image: bool) -> bool:
    """Whether rendering (image) or following (link) `url` would send data somewhere.

    Links count only with a template placeholder in the query or fragment; images also with a
    long value in a parameter named like data (`?q=<24+ chars>`), since they load unasked.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    carried = f"{parts.query}#{parts.fragment}"
    if _PLACEHOLDER.search(carried):
        return True
    if not image:
        return False
    if _PLACEHOLDER.search(parts.path):
        return True
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if _DATA_PARAMETER.match(name) and (len(value) >= MIN_DATA_CHARS or value.count(" ") >= 3):
            return True
    return False


def exfiltration_spans(text: str) -> list[Span]:
    """Markdown and HTML images and links whose URLs would carry data out, in `text`."""
    spans: list[Span] = []
    for pattern, image in (
        (_IMAGE, True),
        (_HTML_IMAGE, True),
        (_LINK, False),
        (_REFERENCE, False),
    ):
        if pattern is _HTML_IMAGE and "<img" not in text.lower():
            continue
        if pattern is not _HTML_IMAGE and "](" not in text and "]:" not in text:
            continue
        for match in pattern.finditer(text):
            if _carries_data(match.group(1), image):
                spans.append(Span(match.start(), match.end(), EXFILTRATION_LABEL))
    return spans


# --- the shield -----------------------------------------------------------------------------


class DocumentShield:
    """`text -> Verdict` with INDIRECT_ATTACK findings; build once, call from any thread.

    `threshold` is the classifier probability that counts as an attack inside a document; by
    default the document threshold stored in the document shield's own model file
    (`DOCUMENT_MODEL_PATH`).
    """

    __slots__ = ("_model", "_rules", "chunk_chars", "threshold")

    def __init__(
        self,
        threshold: float | None = None,
        *,
        model: LinearModel | None = None,
        model_path: Path | None = None,
        classifier: bool = True,
        rules: Sequence[Rule] = (*DIRECT_RULES, *INDIRECT_RULES),
        chunk_chars: int = CHUNK_CHARS,
    ) -> None:
        if chunk_chars < 100:
            raise ValueError(f"chunks of at least 100 characters, not {chunk_chars}")
        self._model = None
        if classifier:
            self._model = model or load_model(model_path or DOCUMENT_MODEL_PATH)
        self._rules = tuple(rules)
        if threshold is None:
            threshold = self._model.document_threshold if self._model is not None else 1.0
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"a threshold is 0..1, not {threshold!r}")
        self.threshold = threshold
        self.chunk_chars = chunk_chars

    @property
    def model(self) -> LinearModel | None:
        return self._model

    def score(self, text: str) -> float:
        """The classifier's probability for `text`: its worst paragraph of any chunk."""
        if self._model is None:
            return 0.0
        margin = float("-inf")
        for _, chunk in chunks(text, self.chunk_chars):
            margin = max(margin, scan(chunk, normalize(chunk), (), self._model)[1])
        return sigmoid(margin) if margin > float("-inf") else 0.0

    def __call__(self, text: str) -> Verdict:
        spans: dict[str, list[Span]] = {}
        scores: dict[str, float] = {}
        for offset, chunk in chunks(text, self.chunk_chars):
            for finding in self._chunk(chunk).shifted(offset).findings:
                spans.setdefault(finding.label, []).extend(finding.spans)
                scores[finding.label] = max(scores.get(finding.label, 0.0), finding.score)
        if not spans:
            return CLEAN
        return Verdict(
            tuple(
                Finding(
                    Category.INDIRECT_ATTACK,
                    DETECTED,
                    scores[label],
                    tuple(found),
                    DETECTOR,
                    label,
                )
                for label, found in spans.items()
            )
        )

    def _chunk(self, text: str) -> Verdict:
        normalized = normalize(text)
        found, margin = scan(text, normalized, self._rules, self._model)
        findings = [
            Finding(Category.INDIRECT_ATTACK, DETECTED, 1.0, tuple(s), DETECTOR, name)
            for name, s in found.items()
        ]
        exfiltration = exfiltration_spans(text)
        if exfiltration:
            findings.append(
                Finding(
                    Category.INDIRECT_ATTACK,
                    DETECTED,
                    1.0,
                    tuple(exfiltration),
                    DETECTOR,
                    EXFILTRATION_LABEL,
                )
            )
        if normalized.hidden_spans:
            findings.append(
                Finding(
                    Category.INDIRECT_ATTACK,
                    DETECTED,
                    1.0,
                    hidden_spans(normalized),
                    DETECTOR,
                    HIDDEN_LABEL,
                )
            )
        if self._model is not None:
            probability = sigmoid(margin)
            if probability >= self.threshold:
                findings.append(
                    Finding(
                        Category.INDIRECT_ATTACK,
                        DETECTED,
                        probability,
                        (Span(0, len(text)),),
                        DETECTOR,
                        CLASSIFIER_LABEL,
                    )
                )
        return Verdict(tuple(findings)) if findings else CLEAN
