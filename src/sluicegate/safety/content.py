"""Content safety offline: Hate, Sexual, Violence and SelfHarm graded 0–7 from lexicons with
context rules.

`ContentSafety()` is a detector (text → `Verdict`) with at most one `Finding` per category:
the highest severity of its matches, every match as a span labelled with the lexicon entry that
made it, and the finding labelled with the entry that set the severity. Severities follow
Azure AI Content Safety's levels (safe 0–1, low 2–3, medium 4–5, high 6–7).

How a severity is reached: each lexicon entry has a base severity; the sentence around a match
raises it (first-person intent, instructions asked for, an intensifier) or lowers it (news,
history, fiction, medicine or prevention framing, negation), per entry. Phrases only run where
their first word stands in the text, and a text none of whose words starts a phrase costs one
pass to collect its words. What a lexicon cannot do: understand sarcasm, long-range context,
coded language it does not list, or languages other than English. It is a fast first line, not a
replacement for a trained classifier (see `safety/remote` for those).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from sluicegate.safety.content_lexicon import Entry, Feature, Lexicon, load
from sluicegate.safety.term_trie import whole_word, words_of
from sluicegate.safety.text_fold import Folded, fold
from sluicegate.safety.verdict import (
    CLEAN,
    HARM_CATEGORIES,
    MAX_SEVERITY,
    Category,
    Finding,
    Span,
    Verdict,
    check_severity,
)

DETECTOR = "content_safety"
_LEET = re.compile(r"[013457@$](?<=[a-z].)(?=[a-z])")
_LEET_FROM, _LEET_TO = "013457@$", "oieastas"
_SENTENCE_END = ".!?;\n"
_COMPANY_REACH = 200
_COMPANY_CAP = 5
_CONTEXT = 240
"""How far around a match the sentence is looked for, in characters."""


class ContentSafety:
    """Graded harm categories from the packaged lexicons.

    `min_severity` is the lowest severity reported (1 reports even safe-level mentions; 2, the
    default, reports from `low` up).
    """

    __slots__ = (
        "_anchor_set",
        "_anchors",
        "_ascii",
        "_features",
        "_finders",
        "categories",
        "min_severity",
    )

    def __init__(
        self, categories: Iterable[Category] | None = None, *, min_severity: int = 2
    ) -> None:
        chosen = tuple(HARM_CATEGORIES if categories is None else dict.fromkeys(categories))
        wrong = [c for c in chosen if c not in HARM_CATEGORIES]
        if wrong:
            raise ValueError(f"content safety grades {HARM_CATEGORIES}, not {wrong}")
        check_severity(min_severity)
        self.categories = chosen
        self.min_severity = max(1, min_severity)
        lexicon: Lexicon = load(chosen)
        self._anchors = lexicon.by_anchor()
        self._anchor_set = frozenset(self._anchors)
        self._ascii = all(anchor.isascii() for anchor in self._anchors)
        self._finders = {anchor: whole_word(anchor) for anchor in self._anchors}
        self._features = lexicon.features

    @property
    def anchor_words(self) -> frozenset[str]:
        """The words that start a phrase of some entry."""
        return self._anchor_set

    @property
    def entry_count(self) -> int:
        return len({entry.id for entries in self._anchors.values() for entry in entries})

    def __call__(self, text: str) -> Verdict:
        if not text:
            return CLEAN
        folded = fold(text)
        plain = _unleet(folded.text)
        present = self._anchor_set.intersection(words_of(plain, ascii_only=self._ascii))
        if not present:
            return CLEAN
        matches = list(self._matches(plain, present))
        if not matches:
            return CLEAN
        return self._verdict(folded, plain, matches)

    def _matches(self, plain: str, present: Iterable[str]) -> Iterator[tuple[Entry, int, int]]:
        """The longest match of any entry at each place an anchor stands."""
        for word in present:
            entries = self._anchors[word]
            for found in self._finders[word].finditer(plain):
                start = found.start()
                best: tuple[Entry, int, int] | None = None
                for entry in entries:
                    match = entry.pattern.match(plain, start)
                    if match is None:
                        continue
                    if (
                        best is None
                        or match.end() > best[2]
                        or (match.end() == best[2] and entry.severity > best[0].severity)
                    ):
                        best = (entry, start, match.end())
                if best is not None:
                    yield best

    def _verdict(
        self, folded: Folded, plain: str, matches: list[tuple[Entry, int, int]]
    ) -> Verdict:
        benign = [(start, end) for entry, start, end in matches if entry.category is None]
        graded: dict[Category, list[tuple[int, Entry, int, int]]] = {}
        for entry, start, end in matches:
            if entry.category is None or _inside(start, end, benign):
                continue
            severity = self._severity(entry, plain, start, end)
            if severity >= self.min_severity:
                graded.setdefault(entry.category, []).append((severity, entry, start, end))
        findings = []
        for category in self.categories:
            found = graded.get(category)
            if not found:
                continue
            top = max(found, key=lambda item: item[0])
            severity = _with_company(top, found)
            spans = tuple(
                Span(*folded.original(start, end), entry.id)
                for _, entry, start, end in sorted(found, key=lambda item: item[2])
            )
            findings.append(
                Finding(category, severity, severity / MAX_SEVERITY, spans, DETECTOR, top[1].id)
            )
        return Verdict(tuple(findings)) if findings else CLEAN

    def _severity(self, entry: Entry, plain: str, start: int, end: int) -> int:
        if not entry.boost and not entry.damp:
            return entry.severity
        before, after = _sentence(plain, start, end)
        matched = plain[start:end]
        severity = entry.severity
        for name, amount in entry.boost:
            if _has(self._features[name], before, matched, after):
                severity += amount
        for name, amount in entry.damp:
            if _has(self._features[name], before, matched, after):
                severity -= amount
        return max(0, min(MAX_SEVERITY, severity))


def _with_company(
    top: tuple[int, Entry, int, int], found: list[tuple[int, Entry, int, int]]
) -> int:
    """The top severity, one higher when another entry of the category is close by: two
    different low signals in one passage ("threesome", "horny") say more than either. Never
    raised past medium this way: high needs an entry and context that say so."""
    severity, entry, start, end = top
    if severity >= _COMPANY_CAP:
        return severity
    for other_severity, other, other_start, other_end in found:
        near = other_start < end + _COMPANY_REACH and start < other_end + _COMPANY_REACH
        if other.id != entry.id and other_severity >= 2 and near:
            return severity + 1
    return severity


def _unleet(text: str) -> str:
    """Digits and symbols standing for letters inside a word ("k1ll", "$lut") read as letters;
    the length is kept, so offsets still hold."""
    return _LEET.sub(lambda m: _LEET_TO[_LEET_FROM.index(m.group())], text)


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(low <= start and end <= high for low, high in spans)


def _sentence(text: str, start: int, end: int) -> tuple[str, str]:
    """The parts of the sentence holding `text[start:end]` before and after it."""
    before = text[max(0, start - _CONTEXT) : start]
    cut = max(before.rfind(char) for char in _SENTENCE_END)
    if cut >= 0:
        before = before[cut + 1 :]
    after = text[end : end + _CONTEXT]
    stops = [index for index in (after.find(char) for char in _SENTENCE_END) if index >= 0]
    if stops:
        after = after[: min(stops)]
    return before, after


def _has(feature: Feature, before: str, matched: str, after: str) -> bool:
    """Whether the feature is in its part of the sentence; `sentence` includes the match."""
    if feature.scope == "before":
        return feature.pattern.search(before[-feature.window :]) is not None
    if feature.scope == "after":
        return feature.pattern.search(after[: feature.window]) is not None
    text = f"{before[-feature.window :]}{matched}{after[: feature.window]}"
    return feature.pattern.search(text) is not None
