"""A safety profile compiled for the request path: which detector reads which text, and what
each finding leads to.

Settings name actions per detector family; here they become two questions a request asks of
every finding — does it act, and how (`action_for`) — and the detectors each kind of text
passes through (`input_detectors`, `output_detector`). Everything is decided at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sluicegate.config.safety import LevelName, ProfileSettings
from sluicegate.safety.verdict import HARM_CATEGORIES, Category, Finding, Level, Verdict, combine
from sluicegate.wire.texts import TextKind

Detector = Callable[[str], Verdict]
ActionName = Literal["block", "redact", "annotate", "shadow"]
Direction = Literal["input", "output"]

_LEVELS: dict[LevelName, int | None] = {
    "low": Level.LOW,
    "medium": Level.MEDIUM,
    "high": Level.HIGH,
    "off": None,
}


@dataclass(frozen=True, slots=True)
class DetectorSet:
    """The local detectors one profile uses (None: not run)."""

    prompt_shield: Detector | None = None
    document_shield: Detector | None = None
    harm: Detector | None = None
    pii: Detector | None = None
    blocklists: Detector | None = None
    threaded: bool = False
    """A detector takes milliseconds (the transformer tier): requests are checked in a worker
    thread so the event loop keeps serving others."""


class Profile:
    """A compiled `ProfileSettings`."""

    __slots__ = (
        "_actions",
        "_harm_levels",
        "_input",
        "_output",
        "annotate",
        "detectors",
        "hold_back",
        "name",
        "redact_with",
        "settings",
        "threaded",
    )

    def __init__(self, name: str, settings: ProfileSettings, detectors: DetectorSet) -> None:
        self.name = name
        self.settings = settings
        self.detectors = detectors
        self.annotate = settings.annotate
        self.hold_back = settings.output.hold_back_chars
        self.redact_with = settings.pii.redact_with
        self.threaded = detectors.threaded
        harm = settings.harm
        self._harm_levels = {c: _LEVELS[harm.level_for(c.value)] for c in HARM_CATEGORIES}
        self._actions: dict[Category, str] = {
            Category.JAILBREAK: settings.prompt_shield.action,
            Category.INDIRECT_ATTACK: settings.document_shield.action,
            Category.PII: settings.pii.action,
            Category.BLOCKLIST: settings.blocklists.action,
            **dict.fromkeys(HARM_CATEGORIES, harm.action),
        }
        self._input = {kind: self._for_input(kind) for kind in TextKind}
        self._output = self._for_output()

    @property
    def runs_anything(self) -> bool:
        return any(self._input.values()) or bool(self._output)

    def input_detectors(self, kind: TextKind) -> tuple[Detector, ...]:
        return self._input[kind]

    @property
    def checks_output(self) -> bool:
        return bool(self._output)

    def output_detector(self) -> Detector:
        """One detector for replies: every output-side detector, findings combined."""
        detectors = self._output
        if len(detectors) == 1:
            return detectors[0]

        def detect(text: str) -> Verdict:
            return combine(d(text) for d in detectors)

        return detect

    def redacts_output(self) -> bool:
        return any(
            self._actions[c] == "redact" and self._enabled(c, "output")
            for c in (Category.PII, Category.BLOCKLIST)
        )

    def action_for(self, finding: Finding) -> ActionName | None:
        """What this profile does with a finding; None when it does not act on it (a harm
        below its threshold, or a detector that is off)."""
        action = self._actions.get(finding.category, "off")
        if action == "off":
            return None
        if finding.category in self._harm_levels:
            level = self._harm_levels[finding.category]
            if level is None or finding.severity < level:
                return None
        return action  # type: ignore[return-value]

    def ran(self, category: Category, direction: Direction) -> bool:
        """Whether the detector behind `category` runs in that direction (for annotations)."""
        return self._enabled(category, direction)

    def _enabled(self, category: Category, direction: Direction) -> bool:
        if self._actions.get(category, "off") == "off":
            return False
        s = self.settings
        if category is Category.JAILBREAK:
            return direction == "input" and self.detectors.prompt_shield is not None
        if category is Category.INDIRECT_ATTACK:
            return direction == "input" and self.detectors.document_shield is not None
        if category is Category.PII:
            return (s.pii.input if direction == "input" else s.pii.output) and bool(
                self.detectors.pii
            )
        if category is Category.BLOCKLIST:
            return (s.blocklists.input if direction == "input" else s.blocklists.output) and bool(
                self.detectors.blocklists
            )
        return (s.harm.input if direction == "input" else s.harm.output) and bool(
            self.detectors.harm
        )

    def _for_input(self, kind: TextKind) -> tuple[Detector, ...]:
        d = self.detectors
        chosen: list[Detector | None] = []
        if kind is TextKind.PROMPT and self._enabled(Category.JAILBREAK, "input"):
            chosen.append(d.prompt_shield)
        if kind is TextKind.DOCUMENT and self._enabled(Category.INDIRECT_ATTACK, "input"):
            chosen.append(d.document_shield)
        if kind is not TextKind.INPUT and self._enabled(Category.HATE, "input"):
            chosen.append(d.harm)
        if self._enabled(Category.PII, "input"):
            chosen.append(d.pii)
        if self._enabled(Category.BLOCKLIST, "input"):
            chosen.append(d.blocklists)
        return tuple(x for x in chosen if x is not None)

    def _for_output(self) -> tuple[Detector, ...]:
        d = self.detectors
        chosen = [
            d.harm if self._enabled(Category.HATE, "output") else None,
            d.pii if self._enabled(Category.PII, "output") else None,
            d.blocklists if self._enabled(Category.BLOCKLIST, "output") else None,
        ]
        return tuple(x for x in chosen if x is not None)
