"""Folding text for matching, with a way back to the offsets of the original text.

Blocklists and the content lexicons match on folded text so that "ＢＡＤ", "Bad" and "b\u200bad"
are one word: NFKC (compatibility forms such as full-width letters and ligatures), case folding
("ß" → "ss"), and dropping invisible format characters (zero-width spaces and joiners, soft
hyphens, bidi controls) that are used to split a word without changing how it looks. Folding can
change lengths, so spans found in the folded text are mapped back before anyone sees them.

Most text is ASCII or already folded and takes a fast path with no map at all; otherwise the
map is a short list of segments, most of them copied as they were.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
"""Default-ignorable code points: invisible, so a reader never sees them split a word."""
_BLOCK = re.compile(r".{1,200}(?:\s|$)|.{1,200}", re.S)
"""Blocks of about 200 characters ending at whitespace: most are already folded, so only the
odd block pays for going word by word."""
_CHUNK = re.compile(r"\S+|\s+")
_CLUSTER = re.compile(
    r".[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]*", re.S
)
"""A character and the combining marks after it: NFKC may compose them into one."""

Segment = tuple[int, int, int, bool]
"""Where a piece starts in the folded text and in the original, where it ends in the original,
and whether it was copied character for character (so offsets inside it carry over)."""


@dataclass(frozen=True, slots=True)
class Folded:
    """Folded text and, when lengths changed, the segments that map it back."""

    text: str
    segments: tuple[Segment, ...] | None = None
    """None when folding kept every offset."""

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that produced `text[start:end]`."""
        if self.segments is None:
            return start, end
        begin = self._at(start, ending=False)
        if end <= start:
            return begin, begin
        return begin, max(begin, self._at(end - 1, ending=True))

    def _at(self, index: int, *, ending: bool) -> int:
        segments = self.segments
        assert segments is not None
        if not segments:
            return 0
        found = bisect.bisect_right(segments, (index, 1 << 62)) - 1
        folded_start, original_start, original_end, copied = segments[max(found, 0)]
        if copied:
            return min(original_start + (index - folded_start) + ending, original_end)
        return original_end if ending else original_start


def fold_char_run(text: str) -> str:
    """The folded form of a string without offsets (terms and lexicon entries)."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def fold(text: str) -> Folded:
    """`text` folded for matching: NFKC, case folded, invisible format characters removed."""
    if text.isascii():
        return Folded(text.lower())
    if _kept_offsets(text):
        return Folded(text.casefold())
    out: list[str] = []
    segments: list[Segment] = []
    size = 0
    for block in _BLOCK.finditer(text):
        size = _piece(block.group(), block.start(), size, out, segments)
        if size >= 0:
            continue
        size = -size - 1
        for chunk in _CHUNK.finditer(block.group()):
            base = block.start() + chunk.start()
            size = _piece(chunk.group(), base, size, out, segments)
            if size >= 0:
                continue
            size = -size - 1
            for cluster in _CLUSTER.finditer(chunk.group()):
                folded = fold_char_run(cluster.group())
                if folded:
                    out.append(folded)
                    segments.append((size, base + cluster.start(), base + cluster.end(), False))
                    size += len(folded)
    return Folded("".join(out), tuple(segments))


def _piece(piece: str, base: int, size: int, out: list[str], segments: list[Segment]) -> int:
    """Append `piece` folded in place when that keeps its offsets, and return the new folded
    size; otherwise append nothing and return `-size - 1`."""
    if piece.isascii():
        out.append(piece.lower())
    elif _kept_offsets(piece):
        out.append(piece.casefold())
    else:
        return -size - 1
    if segments and segments[-1][3] and segments[-1][2] == base:
        folded_start, original_start, _, _ = segments[-1]
        segments[-1] = (folded_start, original_start, base + len(piece), True)
    else:
        segments.append((size, base, base + len(piece), True))
    return size + len(piece)


def _kept_offsets(text: str) -> bool:
    """Whether folding maps every character to exactly one character in place."""
    return (
        _INVISIBLE.search(text) is None
        and unicodedata.is_normalized("NFKC", text)
        and len(text.casefold()) == len(text)
    )
