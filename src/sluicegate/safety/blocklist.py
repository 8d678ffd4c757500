"""Custom blocklists: exact terms and regular expressions an operator forbids.

`Blocklist(name, terms, patterns)` is one list, checked when made: a bad pattern is refused with
a `ValueError` naming the list and the pattern. `Blocklists(lists)` is the detector over several
lists (text → `Verdict`): one `Finding` per list that matched, category BLOCKLIST, labelled with
the list's name, with every span.

Terms match whole words, case-insensitively, on folded text (NFKC, case folding, invisible
characters dropped: see `text_fold`), so "ＢＡＤ", "Bad" and "b\u200bad" all match "bad", and any
run of whitespace matches the space inside a phrase. All terms of all lists are one trie-shaped
regex, tried only where a term's first word occurs in the text: the cost of a text without any
of those words does not grow with the number of terms.

Patterns also run on the folded text (so write them in lower case), each compiled once.
Python's regex engine can take exponential time on some patterns, so patterns are bounded in
length and a quantifier over something that itself repeats without bound (`(a+)+`, `(.*)*`) is
refused unless made possessive or atomic; that catches the usual culprits, not every slow
pattern, and lists come from operators, not from requests.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from sluicegate.safety.term_trie import (
    first_word,
    is_word_char,
    phrase_key,
    trie_pattern,
    whole_word_positions,
    words_of,
)
from sluicegate.safety.text_fold import Folded, fold, fold_char_run
from sluicegate.safety.verdict import CLEAN, DETECTED, Category, Finding, Span, Verdict

DETECTOR = "blocklist"
MAX_TERM_LENGTH = 200
MAX_PATTERN_LENGTH = 1000
MAX_TERMS = 100_000
MAX_PATTERNS = 1000
_NAME = re.compile(r"[\w.\-]{1,64}")
_FEW_WORDS = 12
"""Up to this many first words, a substring test each beats collecting the text's words."""
_NESTED_LIMIT = 10
"""An outer repeat of at most this many times over an unbounded one is allowed (`(\\w+ ){1,3}`)."""


class Blocklist:
    """One named list of terms and patterns, validated and compiled when made."""

    __slots__ = ("_compiled", "name", "patterns", "terms")

    def __init__(self, name: str, terms: Iterable[str] = (), patterns: Iterable[str] = ()) -> None:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(
                f"a blocklist name is 1-64 letters, digits, '_', '-' or '.', not {name!r}"
            )
        self.name = name
        self.terms = _terms(name, terms)
        self.patterns = tuple(dict.fromkeys(patterns))
        if len(self.patterns) > MAX_PATTERNS:
            raise ValueError(f"blocklist {name!r}: more than {MAX_PATTERNS} patterns")
        self._compiled = tuple(
            (_compile(name, pattern), _required_literal(pattern)) for pattern in self.patterns
        )

    @property
    def compiled(self) -> tuple[tuple[re.Pattern[str], str], ...]:
        """Each pattern compiled, with a string every match contains ("" when none is known)."""
        return self._compiled

    def __repr__(self) -> str:
        return f"Blocklist({self.name!r}, {len(self.terms)} terms, {len(self.patterns)} patterns)"


def _terms(name: str, terms: Iterable[str]) -> tuple[str, ...]:
    """The terms folded and with whitespace collapsed, each once, in the order given."""
    if isinstance(terms, str):
        raise ValueError(f"blocklist {name!r}: terms must be a list of strings, not one string")
    kept: dict[str, None] = {}
    for term in terms:
        if not isinstance(term, str):
            raise ValueError(f"blocklist {name!r}: a term must be a string, not {term!r}")
        folded = phrase_key(fold_char_run(term))
        if not folded:
            raise ValueError(f"blocklist {name!r}: a term must not be empty")
        if len(folded) > MAX_TERM_LENGTH:
            raise ValueError(
                f"blocklist {name!r}: term {term[:40]!r}... is longer than {MAX_TERM_LENGTH}"
            )
        kept[folded] = None
        if len(kept) > MAX_TERMS:
            raise ValueError(f"blocklist {name!r}: more than {MAX_TERMS} terms")
    return tuple(kept)


def _compile(name: str, pattern: str) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise ValueError(f"blocklist {name!r}: a pattern must be a string, not {pattern!r}")
    if not pattern:
        raise ValueError(f"blocklist {name!r}: a pattern must not be empty")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(
            f"blocklist {name!r}: pattern {pattern[:40]!r}... is longer than "
            f"{MAX_PATTERN_LENGTH} characters"
        )
    try:
        compiled = re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as error:
        raise ValueError(
            f"blocklist {name!r}: pattern {pattern!r} is not a valid regular expression: {error}"
        ) from None
    if _backtracks(pattern):
        raise ValueError(
            f"blocklist {name!r}: pattern {pattern!r} repeats something that itself repeats "
            "without bound, which can take exponential time; make the inner or outer "
            "quantifier possessive (a++, a*+) or use an atomic group (?>...)"
        )
    if compiled.search("") is not None:
        raise ValueError(
            f"blocklist {name!r}: pattern {pattern!r} matches the empty string, so it would "
            "match every text"
        )
    return compiled


def _backtracks(pattern: str) -> bool:
    """Whether a repeat (unbounded or of more than `_NESTED_LIMIT`) holds an unbounded repeat.

    Reads the parse tree of Python's own regex parser; should that private module change, only
    the length limit is left."""
    try:
        parser: Any = importlib.import_module("re._parser")
        tree = parser.parse(pattern)
    except Exception:
        return False
    constants = parser
    repeats = (constants.MAX_REPEAT, constants.MIN_REPEAT)
    unbounded = constants.MAXREPEAT

    def holds_unbounded(items: Iterable[Any]) -> bool:
        return any(
            (op in repeats and av[1] == unbounded) or holds_unbounded(_children(op, av, parser))
            for op, av in items
        )

    def nested(items: Iterable[Any]) -> bool:
        for op, av in items:
            wide = op in repeats and (av[1] == unbounded or av[1] > _NESTED_LIMIT)
            if wide and holds_unbounded(av[2]):
                return True
            if nested(_children(op, av, parser)):
                return True
        return False

    return nested(tree)


def _required_literal(pattern: str) -> str:
    """The longest run of literal characters every match of `pattern` must contain, if any.

    Patterns then run only on texts that contain it: a substring test costs a few
    microseconds, a regex that starts with `\\b` or a class tens of them."""
    try:
        parser: Any = importlib.import_module("re._parser")
        tree = parser.parse(pattern)
        ignore_case = bool(tree.state.flags & re.IGNORECASE)
    except Exception:
        return ""
    best, run = "", ""

    def walk(items: Iterable[Any]) -> None:
        nonlocal best, run
        for op, av in items:
            if op is parser.LITERAL:
                run += chr(av)
                best = max(best, run, key=len)
            elif op is parser.SUBPATTERN and not av[1] and not av[2]:
                walk(av[3])
            elif op is parser.AT:
                continue
            else:
                run = ""

    walk(tree)
    if ignore_case:
        return best.lower() if best.isascii() else ""
    return best


def _children(op: Any, av: Any, parser: Any) -> Iterator[Any]:
    """The sub-patterns under one node of the parse tree (none under possessive or atomic)."""
    if op in (parser.MAX_REPEAT, parser.MIN_REPEAT):
        yield from av[2]
    elif op is parser.SUBPATTERN:
        yield from av[3]
    elif op is parser.BRANCH:
        for branch in av[1]:
            yield from branch
    elif op in (parser.ASSERT, parser.ASSERT_NOT):
        yield from av[1]
    elif op is parser.GROUPREF_EXISTS:
        yield from av[1]
        if av[2] is not None:
            yield from av[2]


class Blocklists:
    """The detector over several lists; names must differ."""

    __slots__ = (
        "_ascii",
        "_firsts",
        "_lead",
        "_lists",
        "_patterns",
        "_scan_all",
        "_terms",
        "_trie",
    )

    def __init__(self, lists: Iterable[Blocklist]) -> None:
        self._lists = tuple(lists)
        names = [blocklist.name for blocklist in self._lists]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"blocklist names must differ: {', '.join(duplicates)} repeated")
        owners: dict[str, list[str]] = {}
        lead: dict[str, set[int]] = {}
        scan_all = False
        for blocklist in self._lists:
            for term in blocklist.terms:
                owners.setdefault(term, []).append(blocklist.name)
                word = first_word(term)
                if word is None:
                    scan_all = True
                else:
                    lead.setdefault(word, set()).add(term.index(word))
        self._terms = {term: tuple(names) for term, names in owners.items()}
        self._firsts = frozenset(lead)
        self._ascii = all(word.isascii() for word in lead)
        self._lead = {word: tuple(sorted(offsets)) for word, offsets in lead.items()}
        self._scan_all = scan_all
        self._trie = (
            re.compile(r"(?<!\w)(?:" + trie_pattern(self._terms) + r")(?!\w)") if owners else None
        )
        self._patterns = tuple(
            (blocklist.name, pattern) for blocklist in self._lists for pattern in blocklist.compiled
        )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(blocklist.name for blocklist in self._lists)

    def __call__(self, text: str) -> Verdict:
        if not text or not self._lists:
            return CLEAN
        folded = fold(text)
        spans: dict[str, list[tuple[int, int]]] = {}
        if self._trie is not None:
            for start, end, names in self._term_matches(folded.text):
                for name in names:
                    spans.setdefault(name, []).append((start, end))
        for name, (pattern, literal) in self._patterns:
            if literal and literal not in folded.text:
                continue
            for match in pattern.finditer(folded.text):
                if match.end() > match.start():
                    spans.setdefault(name, []).append(match.span())
        if not spans:
            return CLEAN
        return Verdict(
            tuple(
                Finding(
                    Category.BLOCKLIST,
                    DETECTED,
                    1.0,
                    _spans(folded, spans[name], name),
                    DETECTOR,
                    name,
                )
                for name in self.names
                if name in spans
            )
        )

    def _term_matches(self, folded: str) -> Iterator[tuple[int, int, tuple[str, ...]]]:
        """Every term occurrence, including terms inside or overlapping longer ones."""
        assert self._trie is not None
        if self._scan_all:
            starts: Iterable[int] = range(len(folded))
        else:
            present: Iterable[str]
            if len(self._firsts) <= _FEW_WORDS:
                present = [word for word in self._firsts if word in folded]
            else:
                present = self._firsts.intersection(words_of(folded, ascii_only=self._ascii))
            if not present:
                return
            starts = sorted(
                {
                    at - offset
                    for word in present
                    for at in whole_word_positions(folded, word)
                    for offset in self._lead[word]
                    if at >= offset
                }
            )
        for start in starts:
            match = self._trie.match(folded, start)
            if match is None:
                continue
            for end in _word_ends(folded, start, match.end()):
                names = self._terms.get(phrase_key(folded[start:end]))
                if names:
                    yield start, end, names


def _word_ends(text: str, start: int, end: int) -> Iterator[int]:
    """`end` and every earlier place after `start` where a word ends (shorter terms there)."""
    yield end
    for index in range(end - 1, start, -1):
        if is_word_char(text[index - 1]) and not is_word_char(text[index]):
            yield index


def _spans(folded: Folded, found: list[tuple[int, int]], name: str) -> tuple[Span, ...]:
    mapped = sorted({folded.original(start, end) for start, end in found})
    return tuple(Span(start, end, name) for start, end in mapped)
