"""Check a streamed reply as it grows, and say how much of it may be passed on.

Buffering a whole answer before checking it would cost its full generation time in latency;
passing every token on at once would let a flagged phrase out before it is complete. The
guard keeps a hold-back window: text is released only once it lies `hold_back` characters
behind what has been checked, so a flagged phrase no longer than the window is caught before
its start reaches the client, and an unflagged stream is delayed by at most the window.

Detectors are run on the new text plus an overlap of what came before (so phrases that span
two chunks are seen whole), not on the whole text again, so the cost stays linear in the
length of the reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sluicegate.safety.verdict import Finding, Span, Verdict

Detector = Callable[[str], Verdict]
DEFAULT_OVERLAP = 160
"""Characters of already-checked text scanned again with each new piece: longer than any
lexicon phrase or PII value the local detectors match."""
_WORD_BACKTRACK = 64


@dataclass(frozen=True, slots=True)
class GuardStep:
    """After a piece of text: everything before `release_to` may go to the client; `blocked`
    is the finding that ends the stream, if any."""

    release_to: int
    blocked: Finding | None = None


class StreamGuard:
    """Incremental checking of one streamed text (one choice of a reply).

    `blocks(finding)` says whether a finding ends the stream; `redacts(finding)` whether its
    spans must be replaced before release (see `redactions`). Offsets are in characters of
    the whole text received so far.
    """

    __slots__ = (
        "_blocks",
        "_detect",
        "_findings",
        "_hold_back",
        "_min_scan",
        "_overlap",
        "_parts",
        "_redactions",
        "_redacts",
        "_released",
        "_scanned",
        "_seen",
        "_tail",
        "_total",
        "_word_safe",
        "blocked",
    )

    def __init__(
        self,
        detect: Detector,
        *,
        hold_back: int,
        blocks: Callable[[Finding], bool],
        redacts: Callable[[Finding], bool] = lambda finding: False,
        overlap: int = DEFAULT_OVERLAP,
        word_safe: bool = False,
    ) -> None:
        """`word_safe`: never release part of a word (a run of non-space characters), so a
        value that may still be redacted once it is complete — an e-mail address, a key —
        is held whole."""
        if hold_back < 0 or overlap < 0:
            raise ValueError("hold_back and overlap must be 0 or more characters")
        self._detect = detect
        self._hold_back = hold_back
        self._blocks = blocks
        self._redacts = redacts
        self._overlap = overlap
        self._min_scan = max(1, min(16, hold_back // 2))
        self._parts: list[str] = []
        """Text received but not yet scanned."""
        self._tail = ""
        """The last `overlap` characters scanned, read again with the next piece."""
        self._total = 0
        self._scanned = 0
        self._released = 0
        self._findings: list[Finding] = []
        self._seen: set[tuple[str, str, int, int]] = set()
        self._redactions: list[Span] = []
        self._word_safe = word_safe
        self.blocked: Finding | None = None

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every distinct finding so far, spans in whole-text offsets."""
        return tuple(self._findings)

    @property
    def redactions(self) -> tuple[Span, ...]:
        """Spans to replace, sorted and without overlaps."""
        return tuple(self._redactions)

    @property
    def total(self) -> int:
        return self._total

    def feed(self, text: str) -> GuardStep:
        """Take the next piece of the reply."""
        if self.blocked is not None:
            return GuardStep(self._released, self.blocked)
        if text:
            self._parts.append(text)
            self._total += len(text)
        if self._total - self._scanned >= self._min_scan:
            self._scan()
        return self._step(final=False)

    def finish(self) -> GuardStep:
        """The reply ended: check what is left and release everything that may go."""
        if self.blocked is None and self._total > self._scanned:
            self._scan()
        return self._step(final=True)

    def _scan(self) -> None:
        fresh = "".join(self._parts)
        self._parts.clear()
        window = self._tail + fresh
        start = self._scanned - len(self._tail)
        self._scanned = self._total
        self._tail = window[-self._overlap :] if self._overlap else ""
        verdict = self._detect(window).shifted(start)
        for finding in verdict.findings:
            self._note(finding)
            if self.blocked is None and self._blocks(finding):
                self.blocked = finding

    def _note(self, finding: Finding) -> None:
        first = finding.spans[0] if finding.spans else Span(0, 0)
        key = (finding.category.value, finding.label, first.start, first.end)
        if key in self._seen:
            return
        self._seen.add(key)
        self._findings.append(finding)
        if self._redacts(finding):
            self._add_redactions(finding.spans)

    def _add_redactions(self, spans: tuple[Span, ...]) -> None:
        merged = sorted([*self._redactions, *spans], key=lambda s: (s.start, s.end))
        out: list[Span] = []
        for span in merged:
            if out and span.start <= out[-1].end:
                last = out[-1]
                out[-1] = Span(last.start, max(last.end, span.end), last.label or span.label)
            else:
                out.append(span)
        self._redactions = out

    def _step(self, *, final: bool) -> GuardStep:
        if self.blocked is not None:
            return GuardStep(self._released, self.blocked)
        target = self._scanned if final else max(0, self._scanned - self._hold_back)
        if not final:
            target = self._outside_redactions(target)
            if self._word_safe:
                target = self._word_start(target)
        self._released = max(self._released, target)
        return GuardStep(self._released)

    def _outside_redactions(self, target: int) -> int:
        """Never release into the middle of a span still to be replaced."""
        for span in self._redactions:
            if span.start < target < span.end:
                return span.start
        return target

    def _word_start(self, target: int) -> int:
        """Move `target` back to the start of the word it falls in (at most a short way)."""
        tail_start = self._scanned - len(self._tail)
        index = target - tail_start
        if index <= 0 or index >= len(self._tail) or self._tail[index].isspace():
            return target
        for back in range(index, max(0, index - _WORD_BACKTRACK), -1):
            if self._tail[back - 1].isspace():
                return tail_start + back
        return target
