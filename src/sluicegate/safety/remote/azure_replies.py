"""Reading Azure AI Content Safety's replies into findings, checking their documented shape.

A reply that does not have the shape is `Malformed`, and the check fails: a detector that
cannot be read must not pass for one that found nothing. Fields the service may add later are
ignored; category names it may add later are skipped.
"""

from __future__ import annotations

import re
from typing import Any

from sluicegate.safety.verdict import DETECTED, MAX_SEVERITY, Category, Finding, Span

HARM_CATEGORIES = {
    "Hate": Category.HATE,
    "Sexual": Category.SEXUAL,
    "SelfHarm": Category.SELF_HARM,
    "Violence": Category.VIOLENCE,
}
MAX_SPANS = 64
"""Blocklist matches located per list and piece; more add nothing a policy needs."""


class Malformed(ValueError):
    """The reply lacks a documented field or has one of the wrong type; says which, only."""


def analysis_findings(reply: Any, offset: int, piece: str, detector: str) -> tuple[Finding, ...]:
    """Findings of one `text:analyze` reply about `piece`, which starts at `offset`."""
    if not isinstance(reply, dict):
        raise Malformed("not a JSON object")
    whole = (Span(offset, offset + len(piece)),)
    findings: list[Finding] = []
    analyses = reply.get("categoriesAnalysis")
    if not isinstance(analyses, list):
        raise Malformed("categoriesAnalysis is not a list")
    for analysis in analyses:
        if not isinstance(analysis, dict) or not isinstance(analysis.get("category"), str):
            raise Malformed("categoriesAnalysis entry without a category")
        severity = analysis.get("severity")
        if isinstance(severity, bool) or not isinstance(severity, int):
            raise Malformed("categoriesAnalysis severity is not a whole number")
        if not 0 <= severity <= MAX_SEVERITY:
            raise Malformed("categoriesAnalysis severity is out of range")
        category = HARM_CATEGORIES.get(analysis["category"])
        if category is not None and severity > 0:
            findings.append(
                Finding(
                    category, severity, spans=whole, detector=detector, label=analysis["category"]
                )
            )
    matches = reply.get("blocklistsMatch")
    if matches is None:
        matches = []
    if not isinstance(matches, list):
        raise Malformed("blocklistsMatch is not a list")
    spans_by_list: dict[str, list[Span]] = {}
    for match in matches:
        if not isinstance(match, dict):
            raise Malformed("blocklistsMatch entry is not an object")
        name, item_id, item_text = (
            match.get("blocklistName"),
            match.get("blocklistItemId"),
            match.get("blocklistItemText"),
        )
        if not (isinstance(name, str) and isinstance(item_id, str) and isinstance(item_text, str)):
            raise Malformed("blocklistsMatch entry lacks blocklistName, -ItemId or -ItemText")
        spans = spans_by_list.setdefault(name, [])
        spans.extend(_located(piece, offset, item_text, item_id, MAX_SPANS - len(spans)))
    for name, spans in spans_by_list.items():
        findings.append(
            Finding(
                Category.BLOCKLIST,
                DETECTED,
                spans=tuple(dict.fromkeys(spans)) or whole,
                detector=detector,
                label=name,
            )
        )
    return tuple(findings)


def _located(piece: str, offset: int, item_text: str, item_id: str, room: int) -> list[Span]:
    """Where a blocklist item occurs in the piece, matched as the service does: ignoring case.

    An item the service matched that is not found literally (a regular-expression item) gets
    no span here; the finding then covers the whole piece.
    """
    if not item_text or room <= 0:
        return []
    spans: list[Span] = []
    for found in re.finditer(re.escape(item_text), piece, re.IGNORECASE):
        spans.append(Span(offset + found.start(), offset + found.end(), item_id))
        if len(spans) >= room:
            break
    return spans


def shield_answers(reply: Any, *, prompt_sent: bool, documents: int) -> tuple[bool, list[bool]]:
    """Whether the prompt and each document of one `text:shieldPrompt` call hold an attack."""
    if not isinstance(reply, dict):
        raise Malformed("not a JSON object")
    prompt_attacked = False
    if prompt_sent:
        analysis = reply.get("userPromptAnalysis")
        if not isinstance(analysis, dict) or not isinstance(analysis.get("attackDetected"), bool):
            raise Malformed("userPromptAnalysis.attackDetected is missing or not a boolean")
        prompt_attacked = analysis["attackDetected"]
    analyses = reply.get("documentsAnalysis")
    if analyses is None and documents == 0:
        return prompt_attacked, []
    if not isinstance(analyses, list) or len(analyses) != documents:
        raise Malformed(f"documentsAnalysis does not hold one entry per document ({documents})")
    attacked: list[bool] = []
    for analysis in analyses:
        if not isinstance(analysis, dict) or not isinstance(analysis.get("attackDetected"), bool):
            raise Malformed("documentsAnalysis attackDetected is missing or not a boolean")
        attacked.append(analysis["attackDetected"])
    return prompt_attacked, attacked
