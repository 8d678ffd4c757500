"""How injection rules run: a regex per rule, tried only around its trigger words.

Patterns are written with a plain space between words; a space stands for a short gap of
non-word characters (`[\\W_]{1,4}`), so `ignore all previous` also matches `ignore_all -
previous`. Each rule names `triggers`: words one of which every match contains. A rule's regex
runs only when a trigger is among the text's tokens, which keeps the cost of a dozen rules on a
benign page close to one set intersection each.

A match inside a quotation introduced as a mention ("phrases like "…"") or after a cue such as
"how to" is talked about, not said, and does not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = [
    "WHOLE_MAX",
    "Rule",
    "is_mention",
    "make_rule",
    "matches",
    "without_quoted_mentions",
]

_GAP = r"[\W_]{1,4}"
REACH = 256
"""Characters a match may extend before or after a trigger word (the longest rule is shorter)."""
_WORD_END = re.compile(r"\W")
MAX_REGIONS = 16
"""More trigger occurrences than this and one scan of the whole text is cheaper."""
MAX_MATCHES = 16
"""Spans reported per rule and text: enough to locate, bounded for hostile input."""
MAX_MENTION_CHECKS = 64
"""Matches per rule and text that may be excused as mentions; a text repeating an attack phrase
more often than this is treated as saying it (and stays linear in time)."""
WHOLE_MAX = 400
"""Characters a whole-prompt rule's match can span: its words, gaps and tail are bounded."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A named pattern and the words (as UTF-8 tokens) one of which any match contains."""

    name: str
    pattern: re.Pattern[str]
    triggers: frozenset[bytes]
    requires: frozenset[bytes] = frozenset()
    """A second word set, one of which every match also contains (checked, not searched for)."""
    literals: tuple[str, ...] = ()
    """Instead of trigger words: substrings one of which every match contains (for patterns
    made of punctuation, such as chat-template tokens); the pattern then scans the whole text."""
    whole: bool = False
    """The pattern matches only a whole short text (it begins with `\\A`, ends with `\\Z` and
    spans at most `WHOLE_MAX` characters): tried once at the start, and not at all on a longer
    text."""

    def finditer(self, text: str, words: frozenset[bytes] | set[bytes]) -> Iterator[re.Match[str]]:
        """Matches in `text`, whose token set is `words`.

        The pattern runs only around occurrences of its triggers: Python's regex engine spends
        100-250 µs on 4,500 characters for patterns that start with a word alternation, while
        `str.find` locates a word in a few.
        """
        if self.whole and len(text) > WHOLE_MAX:
            return
        if self.literals:
            if any(literal in text for literal in self.literals):
                yield from self.pattern.finditer(text)
            return
        present = self.triggers.intersection(words)
        if not present or (self.requires and self.requires.isdisjoint(words)):
            return
        regions: list[tuple[int, int]] = []
        for trigger in present:
            needle = trigger.decode("utf-8", "replace")
            at = text.find(needle)
            while at >= 0 and len(regions) <= MAX_REGIONS:
                regions.append((max(0, at - REACH), at + len(needle) + REACH))
                at = text.find(needle, at + len(needle))
        if len(regions) > MAX_REGIONS:
            yield from self._scan(text, 0, len(text))
            return
        regions.sort()
        start, end = regions[0]
        for lo, hi in regions[1:]:
            if lo > end:
                yield from self._scan(text, start, end)
                start = lo
            end = max(end, hi)
        yield from self._scan(text, start, end)

    def _scan(self, text: str, start: int, end: int) -> Iterator[re.Match[str]]:
        if end < len(text):
            stop = _WORD_END.search(text, end)
            end = stop.start() if stop else len(text)
        if self.whole:
            match = self.pattern.match(text, 0, end) if start == 0 else None
            return iter((match,) if match else ())
        return self.pattern.finditer(text, start, end)


def make_rule(
    name: str,
    pattern: str,
    triggers: str,
    *,
    requires: str = "",
    literals: tuple[str, ...] = (),
    whole: bool = False,
) -> Rule:
    """A rule from a pattern written with plain spaces (each a short gap of non-word characters)
    and its trigger and required words as space-separated lists."""
    return Rule(
        name,
        re.compile(pattern.replace(" ", _GAP), re.MULTILINE),
        frozenset(word.encode() for word in triggers.split()),
        frozenset(word.encode() for word in requires.split()),
        literals,
        whole,
    )


def matches(
    rules: Iterable[Rule], text: str, words: frozenset[bytes] | set[bytes]
) -> Iterator[tuple[Rule, re.Match[str]]]:
    """Every rule's matches in `text` that are not mentions (at most `MAX_MATCHES` per rule)."""
    for rule in rules:
        count = checked = 0
        for match in rule.finditer(text, words):
            checked += 1
            if checked <= MAX_MENTION_CHECKS and is_mention(text, match.start(), match.end()):
                continue
            yield rule, match
            count += 1
            if count >= MAX_MATCHES:
                break


_QUOTED = re.compile(
    '"[^"\n]{1,400}"|“[^”\n]{1,400}”|‘[^’\n]{1,400}’|«[^»\n]{1,400}»|`[^`\n]{1,400}`'
    "|(?<!\\w)'[^'\n]{1,400}?'(?!\\w)"
)
_MENTION_CUE = re.compile(
    r"\b(?:phrases?|the (?:words?|term|string|sentence|command|line)|such as|e\.g|for example"
    r"|for instance|called|known as|means?|mean by|meaning of|explain\w*|interpret\w*"
    r"|assess\w*|response to|reaction to|make of|think (?:of|about)|opinion (?:of|on|about)"
    r"|is this (?:a|an)|classify|how (?:to|do|does|did|can|could|would|might|should)"
    r"|difference between|different from|do not explain|never tell)\b[^.!?\n]*$"
)
_CUE_WINDOW = 160
_QUESTION_CUE = re.compile(
    r"\bwhat(?: is|'s|’s|s) (?:(?:the|a|an) )?$"
    r"|\bwhy (?:does|do|did|would|won't|doesn't|won’t|doesn’t|is|are) (?:(?:my|the|our|this"
    r"|that|a|an|his|her|their|these|those) )?(?!you\b)(?:[\w-]+ ){1,3}$"
)
"""A question right before the phrase: "what is the DAN prompt", "why does my agent ignore the
system prompt" (not "why does revealing your prompt…", nor "what is the capital… forget…")."""
_QUESTION_WINDOW = 64
"""Its longest form is well under this. It excuses rule matches only: a page's quotations (up to
hundreds) are not checked for it, which would cost 10% more there for little."""
_QUOTE_REACH = 1_000
"""How far around a match to look for the quotes that would make it a mention."""


def without_quoted_mentions(text: str) -> str:
    """`text` with every quotation that follows a mention cue in its sentence ("phrases like
    "…"", "such as "…"") blanked out: what the classifier reads, so that an article quoting
    attacks is judged by its own words. Quotes with no cue before them stay."""
    parts: list[str] = []
    last = 0
    position = 0
    while (opening := _QUOTE_OPENING.search(text, position)) is not None:
        quote = _QUOTED.match(text, opening.start())
        if quote is None:
            position = opening.end()
            continue
        position = quote.end()
        line_start = text.rfind("\n", 0, quote.start()) + 1
        window = max(line_start, quote.start() - _CUE_WINDOW)
        if _MENTION_CUE.search(text, window, quote.start()):
            parts.append(text[last : quote.start()])
            parts.append(" ")
            last = quote.end()
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


_QUOTE_OPENING = re.compile("[\"“‘«`']")
"""Where a `_QUOTED` match can start: found by a one-character search, which is much faster
than letting the alternation try every position."""


def is_mention(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` is talked about rather than said: quoted, after a cue such as
    "the phrase", "how to" or "is this a" in the same sentence, or right after a question about
    it ("what is the …").

    A quote around (nearly) the whole text is no mention: prompts often arrive quoted.
    """
    line_start = max(text.rfind("\n", 0, start) + 1, start - _QUOTE_REACH)
    line_end = text.find("\n", end, end + _QUOTE_REACH)
    line_end = min(len(text), end + _QUOTE_REACH) if line_end < 0 else line_end
    content = len(text.strip())
    for quote in _QUOTED.finditer(text, line_start, line_end):
        if quote.start() <= start and end <= quote.end():
            return quote.end() - quote.start() < 0.8 * content
    return _cued(text, max(line_start, start - _CUE_WINDOW), start)


def _cued(text: str, window: int, start: int) -> bool:
    """Whether a mention cue in `text[window:start]` introduces the match beginning at `start`."""
    near = max(window, start - _QUESTION_WINDOW)
    return bool(_MENTION_CUE.search(text, window, start) or _QUESTION_CUE.search(text, near, start))
