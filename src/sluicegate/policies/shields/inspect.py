"""Run a profile's detectors over a request's texts and judge every finding.

Pure and synchronous, so that the policy can run it on the event loop for ordinary prompts
and in a worker thread for very large ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sluicegate.policies.shields.profile import Profile
from sluicegate.policies.shields.results import Judged
from sluicegate.safety.verdict import Finding, Span, Verdict
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.texts import Edit, TextKind, TextRef

Redactor = Callable[[str, Sequence[Span]], str]
"""Replace the given spans of a text (mask or keyed hash, as the profile says)."""


@dataclass(slots=True)
class TextReport:
    ref: TextRef
    judged: list[Judged] = field(default_factory=list)


@dataclass(slots=True)
class InputReport:
    """Every finding on a request's texts, what each leads to, and the edits redaction makes."""

    texts: list[TextReport] = field(default_factory=list)
    blocking: tuple[Judged, TextRef] | None = None
    edits: list[Edit] = field(default_factory=list)

    @property
    def judged(self) -> list[Judged]:
        return [j for report in self.texts for j in report.judged]

    def by_prompt(self, endpoint: Endpoint) -> dict[int, list[TextReport]]:
        """Reports grouped by Azure's `prompt_index`: 0 for a chat, each prompt's position for
        a completions request with a list of prompts."""
        groups: dict[int, list[TextReport]] = {}
        for report in self.texts:
            index = 0
            path = report.ref.path
            if endpoint is Endpoint.COMPLETIONS and len(path) > 1 and isinstance(path[1], int):
                index = path[1]
            groups.setdefault(index, []).append(report)
        return groups


def inspect_texts(
    profile: Profile,
    texts: Sequence[TextRef],
    redactor: Redactor,
    extra: Sequence[Verdict] = (),
) -> InputReport:
    """Judge what the profile's local detectors (and `extra` verdicts from remote detectors,
    one per text, in order, when given) find in each text."""
    report = InputReport()
    for position, ref in enumerate(texts):
        detectors = profile.input_detectors(ref.kind)
        verdicts = [detect(ref.text) for detect in detectors]
        if extra:
            verdicts.append(extra[position])
        text_report = TextReport(ref)
        redact: list[Span] = []
        for verdict in verdicts:
            for finding in verdict.findings:
                judged = Judged(finding, profile.action_for(finding))
                text_report.judged.append(judged)
                if judged.action == "block" and report.blocking is None:
                    report.blocking = (judged, ref)
                elif judged.action == "redact":
                    redact.extend(_in_bounds(finding, len(ref.text)))
        if redact:
            new = redactor(ref.text, redact)
            report.edits.append(Edit(ref.path, ref.offset, ref.offset + len(ref.text), new))
        report.texts.append(text_report)
    return report


def _in_bounds(finding: Finding, length: int) -> list[Span]:
    return [s for s in finding.spans if 0 <= s.start < s.end <= length]


def where(ref: TextRef) -> str:
    """Where a text sits, for messages: `the user prompt (messages[3])`."""
    location = _path_text(ref.path)
    if ref.kind is TextKind.DOCUMENT:
        return f"a document ({location})"
    if ref.kind is TextKind.INPUT:
        return f"the input ({location})"
    return f"the user prompt ({location})"


def _path_text(path: tuple[str | int, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out.removesuffix(".content").removesuffix(".text")
