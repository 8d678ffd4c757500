"""Verdicts in Azure OpenAI's shape: `content_filter_results` and `prompt_filter_results`.

Azure-aware clients already read these (on 400 `content_filter` errors, on replies, on stream
chunks); producing the same shape in front of any backend lets them work unchanged. Categories
whose detector did not run are left out, as Azure leaves out filters that are not configured.
`pii` is this gateway's own addition in the same style.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sluicegate.policies.shields.profile import ActionName, Direction, Profile
from sluicegate.safety.verdict import HARM_CATEGORIES, Category, Finding, Level


@dataclass(frozen=True, slots=True)
class Judged:
    """A finding and what the profile did with it (None: below threshold, reported only)."""

    finding: Finding
    action: ActionName | None


def filter_results(
    profile: Profile,
    direction: Direction,
    judged: Iterable[Judged],
    *,
    prompts: bool = True,
    documents: bool = False,
) -> dict[str, Any]:
    """The `content_filter_results` object for one prompt or one choice."""
    items = list(judged)
    results: dict[str, Any] = {}
    for category in HARM_CATEGORIES:
        if profile.ran(category, direction):
            found = [j for j in items if j.finding.category is category]
            severity = max((j.finding.severity for j in found), default=0)
            results[category.value] = {
                "filtered": any(j.action == "block" for j in found),
                "severity": Level.of(severity).label,
            }
    if direction == "input" and prompts and profile.ran(Category.JAILBREAK, "input"):
        results["jailbreak"] = _detection(items, Category.JAILBREAK)
    if direction == "input" and documents and profile.ran(Category.INDIRECT_ATTACK, "input"):
        results["indirect_attack"] = _detection(items, Category.INDIRECT_ATTACK)
    if profile.ran(Category.BLOCKLIST, direction):
        hits = [j for j in items if j.finding.category is Category.BLOCKLIST]
        names: dict[str, bool] = {}
        for hit in hits:
            names[hit.finding.label] = names.get(hit.finding.label, False) or hit.action == "block"
        results["custom_blocklists"] = {
            "filtered": any(names.values()),
            "details": [{"filtered": f, "id": name} for name, f in sorted(names.items())],
        }
    if profile.ran(Category.PII, direction):
        hits = [j for j in items if j.finding.category is Category.PII]
        results["pii"] = {
            "filtered": any(j.action == "block" for j in hits),
            "detected": bool(hits),
            "redacted": any(j.action == "redact" for j in hits),
            "types": sorted({j.finding.label for j in hits}),
        }
    return results


def _detection(items: list[Judged], category: Category) -> dict[str, bool]:
    found = [j for j in items if j.finding.category is category]
    return {"filtered": any(j.action == "block" for j in found), "detected": bool(found)}


def describe(judged: Judged, where: str) -> str:
    """A refusal's reason for the client: the category, its severity and where it was found;
    never the text itself."""
    finding = judged.finding
    category = finding.category
    if category is Category.JAILBREAK:
        what = "a jailbreak or prompt-injection attempt"
    elif category is Category.INDIRECT_ATTACK:
        what = "an indirect prompt-injection attempt"
    elif category is Category.PII:
        what = f"personal data ({finding.label})"
    elif category is Category.BLOCKLIST:
        what = f"a term of the blocklist '{finding.label}'"
    else:
        what = f"{category.value.replace('_', '-')} content of {finding.level.label} severity"
    return f"{what} in {where}"
