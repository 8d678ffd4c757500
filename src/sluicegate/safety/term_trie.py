"""Many phrases as one regular expression shaped like a trie, and a fast test for whether any
of them can occur in a text at all.

An alternation of thousands of words makes Python's regex engine try each in turn at every
position; a trie (`b(?:ad(?:\\s+word)?|oo)`) tries one branch per character, and a longer
phrase always wins over its own prefix because every optional tail is greedy.

Matching a phrase needs its first word to stand alone in the text, so the set of the text's
words is a cheap, never-wrong first test: when no phrase's first word is among them, no phrase
can match, whatever their number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TypeAlias

_Node: TypeAlias = dict[str, "_Node"]
WORD = re.compile(r"\w+")
_NON_WORD_BYTES = (
    bytes(code if chr(code).isalnum() or chr(code) == "_" else 32 for code in range(128))
    + b" " * 128
)


def phrase_key(phrase: str) -> str:
    """A phrase with its whitespace collapsed to single spaces: how phrases are compared."""
    return " ".join(phrase.split())


def first_word(phrase: str) -> str | None:
    """The first run of word characters in a phrase, if it has one."""
    match = WORD.search(phrase)
    return match.group() if match else None


def words_of(text: str, *, ascii_only: bool = False) -> set[str]:
    """Every run of word characters in `text` (which should be folded).

    With `ascii_only`, non-ASCII characters count as separators: the result then holds every
    ASCII word that stands whole in the text and maybe a few more ("caf" from "café"), which is
    all a caller looking for ASCII words needs, at a tenth of the cost."""
    if text.isascii() or ascii_only:
        projected = text.encode("ascii", "replace").translate(_NON_WORD_BYTES)
        return set(projected.decode("ascii").split())
    return set(WORD.findall(text))


def trie_pattern(phrases: Iterable[str]) -> str:
    """One regex (no groups) matching any of `phrases`, whitespace inside a phrase matching any
    run of whitespace. Callers add the word boundaries they want."""
    root: _Node = {}
    for phrase in phrases:
        node = root
        for char in phrase_key(phrase):
            node = node.setdefault(char, {})
        node[""] = {}
    return _render(root)


def _render(node: _Node) -> str:
    terminal = "" in node
    branches = [
        (r"\s+" if key == " " else re.escape(key)) + _render(child)
        for key, child in sorted(node.items())
        if key
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and not terminal else f"(?:{'|'.join(branches)})"
    if terminal:
        body = body + "?" if body.startswith("(?:") else f"(?:{body})?"
    return body


def whole_word(word: str) -> re.Pattern[str]:
    """A regex finding `word` as a whole word; it starts with the word itself (the boundary
    checks follow it), so the engine can skip to each occurrence with a substring search."""
    escaped = re.escape(word)
    return re.compile(escaped + r"(?<!\w" + escaped + r")(?!\w)")


def whole_word_positions(text: str, word: str) -> Iterator[int]:
    """Where `word` stands in `text` as a whole word (no word character on either side)."""
    size, at = len(word), text.find(word)
    while at >= 0:
        before = text[at - 1] if at else " "
        after = text[at + size] if at + size < len(text) else " "
        if not is_word_char(before) and not is_word_char(after):
            yield at
        at = text.find(word, at + 1)


def is_word_char(char: str) -> bool:
    """What `\\w` matches: letters, digits and the underscore."""
    return char.isalnum() or char == "_"
