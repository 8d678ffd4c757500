"""What a detector says about a text: findings by category, with severity, score and spans.

Severities run 0–7 as in Azure AI Content Safety's eight-level output; Azure OpenAI reports
them to clients as four levels (safe 0–1, low 2–3, medium 4–5, high 6–7), and thresholds are
written in those levels. Detectors that only say yes or no (prompt shields, PII, blocklists)
report their findings at `DETECTED` severity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Category(StrEnum):
    """What a finding is about; the values are the keys of Azure's `content_filter_results`."""

    HATE = "hate"
    SEXUAL = "sexual"
    VIOLENCE = "violence"
    SELF_HARM = "self_harm"
    JAILBREAK = "jailbreak"
    """A user prompt that tries to override the system's instructions (direct injection)."""
    INDIRECT_ATTACK = "indirect_attack"
    """Instructions hidden in a document or tool result (indirect injection)."""
    PII = "pii"
    BLOCKLIST = "custom_blocklists"


HARM_CATEGORIES = (Category.HATE, Category.SEXUAL, Category.VIOLENCE, Category.SELF_HARM)
"""The four graded categories of Azure AI Content Safety."""


class Level(IntEnum):
    """Azure OpenAI's four severity levels; each holds two of the eight severities."""

    SAFE = 0
    LOW = 2
    MEDIUM = 4
    HIGH = 6

    @classmethod
    def of(cls, severity: int) -> Level:
        """The level a severity 0–7 falls in."""
        check_severity(severity)
        return cls(min(severity, 7) // 2 * 2)

    @property
    def label(self) -> str:
        return self.name.lower()


MAX_SEVERITY = 7
DETECTED = 6
"""The severity yes/no detectors report: high, so any threshold blocks it."""


def check_severity(severity: int) -> int:
    if isinstance(severity, bool) or not isinstance(severity, int) or not 0 <= severity <= 7:
        raise ValueError(f"a severity is a whole number 0..7, not {severity!r}")
    return severity


@dataclass(frozen=True, slots=True)
class Span:
    """Where in the text a finding is: `text[start:end]`, and what was found there."""

    start: int
    end: int
    label: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"a span needs 0 <= start <= end, not {self.start}..{self.end}")


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a detector found.

    `detector` names who found it (`prompt_shield`, `pii`, `azure_content_safety`, …) and
    `label` the kind within the category (a PII type, a blocklist's name, a rule's name), so
    logs and metrics can tell findings apart without ever holding the text itself.
    """

    category: Category
    severity: int
    score: float = 1.0
    spans: tuple[Span, ...] = ()
    detector: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        check_severity(self.severity)
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"a score is 0..1, not {self.score!r}")

    @property
    def level(self) -> Level:
        return Level.of(self.severity)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Every finding of one or more detectors on one text; empty means nothing was found."""

    findings: tuple[Finding, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.findings)

    def of(self, category: Category) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.category is category)

    def severity(self, category: Category) -> int:
        """The highest severity found in `category`, 0 when none."""
        return max((f.severity for f in self.findings if f.category is category), default=0)

    def categories(self) -> frozenset[Category]:
        return frozenset(f.category for f in self.findings)

    def merged(self, *others: Verdict) -> Verdict:
        return combine((self, *others))

    def shifted(self, offset: int) -> Verdict:
        """The same findings with spans moved by `offset` (a chunk's place in a longer text)."""
        if offset == 0:
            return self
        return Verdict(
            tuple(
                Finding(
                    f.category,
                    f.severity,
                    f.score,
                    tuple(Span(s.start + offset, s.end + offset, s.label) for s in f.spans),
                    f.detector,
                    f.label,
                )
                for f in self.findings
            )
        )


CLEAN = Verdict()


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """One verdict holding the findings of all."""
    findings: list[Finding] = []
    for verdict in verdicts:
        findings.extend(verdict.findings)
    return Verdict(tuple(findings)) if findings else CLEAN
