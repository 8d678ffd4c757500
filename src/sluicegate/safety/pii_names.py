"""Names of people, found by a gazetteer of given names and surnames and by the words around them.

A run of capitalised words is a name when its first word is a known given name and its last a
known surname ("Maria Schmidt"); when one of them is known and the other is not an ordinary word
("Priya Raman", "Xiaoming Wang"); when neither is known nor ordinary and the pair stands alone in
the middle of a sentence ("we met Tendai Moyo"); when initials come before a surname ("J. R.
Okonkwo"); or when a cue says a name follows: a title ("Dr. Okafor", "Frau Becker") or a phrase
such as "my name is", "Dear", "Regards," ("my name is Tomasz"). Ordinary words that are also
names (Will, May, Grant, Bill) count only beside a known name and not inside a longer run of
capitalised words (a heading such as "Bill Payment Options").

What it misses: a given name alone without a cue ("John will look"), names written all in
capitals or all in lower case, names in scripts without capital letters, unknown names at the
start of a sentence, and famous surnames that are frequent words ("Tolkien"). What it flags
wrongly: places, products or companies made of a given name and a surname ("Harley Davidson").
`training/pii_names_report.py` measures both.

The gazetteer (`lexicons/person_names.json.gz`) is built by `training/pii_gazetteer.py`.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GAZETTEER_PATH = Path(__file__).with_name("lexicons") / "person_names.json.gz"
MAX_NAME_WORDS = 4

_WORD = re.compile(r"(?<!\w)[A-ZÀ-ÖØ-ÞĀ-žА-ЯЀ-ЏΆ-Ω][^\W\d_]*(?:['’][^\W\d_]+)*(?:-[^\W\d_]+)*")
"""Words that may start with a capital letter (the Latin Extended-A range holds lower-case
letters too: `_capitalised` decides)."""
_GAP = re.compile(
    r"[ \t\u00a0]+(?:(?:van|von|de|der|den|da|di|del|della|dos|das|du|le|la|ter|ten|bin|ibn"
    r"|al|y)[ \t\u00a0]+){0,2}"
)
"""Between two words of a name: spaces, and lower-case particles ("Ludwig van Beethoven",
"Ana de la Cruz")."""
_STRONG_CUES = re.compile(
    r"(?:\b(?:my\s+name\s+is|my\s+name's|name\s*:|full\s+name\s*:|dear|regards\s*,"
    r"|sincerely\s*,|yours\s+truly\s*,|signed\s*,?|attn\s*:?|attention\s*:|patient\s*:?"
    r"|customer\s*:|employee\s*:|applicant\s*:|contact\s+person\s*:|cc\s*:)[\s,:]*)$",
    re.IGNORECASE,
)
"""Cues after which any capitalised word that is not ordinary English is a name."""
_WEAK_CUES = re.compile(
    r"(?:\b(?:i\s+am|i'm|i’m|this\s+is|call\s+me|ask|tell|contact|email|cheers\s*,"
    r"|thanks\s*,|best\s*,|from|with|to|by|met|meet|named|called|and)[\s,:]*)$",
    re.IGNORECASE,
)
"""Cues after which a known given name or surname alone is taken for a name."""
_NOT_IN_NAMES = frozenset({
    "Street", "Road", "Avenue", "Boulevard", "Lane", "Drive", "Square", "Parkway", "Highway",
    "Calle", "Avenida", "Via", "Viale", "Piazza", "Rua", "Rue", "Plaza", "Inc", "Ltd", "LLC",
    "GmbH", "Corp", "University", "College", "School", "Hospital", "Bank", "Group", "Company",
    "Foundation", "Institute",
})  # fmt: skip
"""Words that make a run of capitalised words a street or an organisation ("Baker Street",
"Calle Mayor", "Morgan Stanley Bank")."""
_NAME_PREFIXES = frozenset({"al", "el", "ul", "abu", "bin", "ibn", "ben", "bint"})
"""Hyphenated prefixes of Arabic and Hebrew names, ordinary words on their own."""
_CUE_CONTEXT = 40
"""Characters before a run searched for a cue."""
_TITLE_WORDS = frozenset({
    "Mr", "Mrs", "Ms", "Mx", "Miss", "Dr", "Prof", "Sir", "Dame", "Lady", "Lord", "Rev", "Fr",
    "Herr", "Frau", "Mme", "Mlle", "Madame", "Monsieur", "Sr", "Sra", "Srta", "Señor", "Señora",
    "Signor", "Signora", "Dott",
})  # fmt: skip
"""Titles before a name; the name after one needs no other evidence ("Dr. Okafor")."""
_TITLES = re.compile(
    rf"\b(?:{'|'.join(sorted(_TITLE_WORDS | {t.upper() for t in _TITLE_WORDS}))})\.?[ \t\u00a0]+$"
)
"""A title before a name, as written or in capitals ("DR. JONES")."""


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """What the detector knows: given names and surnames (capitalised as written), ordinary
    words (lower case) and the names of places and dates (one word or several, as written)."""

    given: frozenset[str]
    surnames: frozenset[str]
    common: frozenset[str]
    places: frozenset[str]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Sequence[str]]) -> Gazetteer:
        return cls(
            frozenset(data.get("given", ())),
            frozenset(data.get("surnames", ())),
            frozenset(w.lower() for w in data.get("common", ())),
            frozenset(data.get("places", ())),
        )

    def ordinary(self, word: str) -> bool:
        """An ordinary word: every part of it is written in lower case in ordinary text (name
        prefixes aside: "Al-Farsi" is read as "Farsi")."""
        parts = [p for p in word.lower().split("-") if p not in _NAME_PREFIXES] or [word.lower()]
        return all(part in self.common for part in parts)

    def known(self, word: str) -> bool:
        return word in self.given or word in self.surnames


@cache
def shipped_gazetteer() -> Gazetteer:
    """The gazetteer in the package, read once per process."""
    with gzip.open(GAZETTEER_PATH, "rt", encoding="utf-8") as source:
        return Gazetteer.from_mapping(json.load(source))


@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    text: str
    initial: bool
    """A single capital followed by a dot ("J.", the dot left out)."""
    shouted: bool = False
    """Written in capitals ("SMITH"); `text` holds it title-cased, as the gazetteer spells it."""


def _capitalised(word: str) -> bool:
    """ "Maria", "O'Brien", "McDonald", "García-López"; not "ACME", "IO" or "x"."""
    if not word[0].isupper():
        return False
    rest = word[1:]
    return any(c.islower() for c in rest) and not rest.isupper()


def _runs(text: str) -> Iterator[list[_Word]]:
    """Runs of capitalised words and initials one space apart (or a particle such as "van",
    or after an initial or a title a dot), that are not part of an identifier, a path or an
    address. Only words that start with a capital letter are looked at."""
    run: list[_Word] = []
    for match in _WORD.finditer(text):
        start, end = match.span()
        word = match.group()
        if word.endswith(("'s", "’s", "'S", "’S")) and len(word) > 3:  # possessive: "Maria's"
            word, end = word[:-2], end - 2
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        initial = len(word) == 1 and after == "." and word.isupper()
        shouted = not initial and len(word) > 1 and word.isupper()
        usable = (initial or shouted or _capitalised(word)) and not (
            before in "@./\\_#$" or after in "@(_/\\" or (after == "." and _dotted(text, end))
        )
        if run and (not usable or not _joined(text, run[-1], start)):
            yield run
            run = []
        if usable:
            run.append(_Word(start, end, word.title() if shouted else word, initial, shouted))
    if run:
        yield run


def _joined(text: str, previous: _Word, start: int) -> bool:
    """One space between two words of a name, or a particle ("Guido van Rossum"); a dot too
    after an initial or a title ("J. R.", "Dr. Okafor"), never a sentence's full stop."""
    at = previous.end
    if text.startswith(".", at) and (previous.initial or previous.text in _TITLE_WORDS):
        at += 1
    return _GAP.fullmatch(text, at, start) is not None


def _dotted(text: str, end: int) -> bool:
    """A dot joining words without a space ("os.path", "example.com")."""
    return end + 1 < len(text) and (text[end + 1].isalnum() or text[end + 1] == "_")


def find_person_names(text: str, gazetteer: Gazetteer | None = None) -> Iterator[tuple[int, int]]:
    """Spans of the names of people in `text` (titles such as "Dr." left outside)."""
    known = shipped_gazetteer() if gazetteer is None else gazetteer
    for run in _runs(text):
        yield from _names_in(text, run, known)


def _names_in(text: str, run: list[_Word], g: Gazetteer) -> Iterator[tuple[int, int]]:
    street_or_company = any(w.text in _NOT_IN_NAMES for w in run)
    i = 0
    while i < len(run):
        if run[i].initial:
            found = _initials_name(run, i, g)
        elif street_or_company or run[i].text in _TITLE_WORDS:
            found = 0
        else:
            found = _name_at(text, run, i, g)
        if found:
            yield run[i].start, run[i + found - 1].end
            i += found
        else:
            i += 1


class _Context:
    """What the text before a candidate says, worked out only when a rule asks."""

    __slots__ = ("_cue", "_start", "_text")

    def __init__(self, text: str, start: int) -> None:
        self._text, self._start = text, start
        self._cue: str | None = None

    @property
    def cue(self) -> str:
        """ "strong" (a title, "my name is", "Dear"), "weak" ("ask", "with", "by") or ""."""
        if self._cue is None:
            before = self._text[max(0, self._start - _CUE_CONTEXT) : self._start]
            if _TITLES.search(before) or _STRONG_CUES.search(before):
                self._cue = "strong"
            elif _WEAK_CUES.search(before):
                self._cue = "weak"
            else:
                self._cue = ""
        return self._cue

    @property
    def mid_sentence(self) -> bool:
        """After a word in lower case (or its comma): not the start of a sentence or a line."""
        before = self._text[max(0, self._start - 3) : self._start].rstrip(" \t\u00a0,")
        return bool(before) and before[-1].islower()


def _name_at(text: str, run: list[_Word], i: int, g: Gazetteer) -> int:
    """How many words of the run from `i` make a name (0: none), the longest taken."""
    context = _Context(text, run[i].start)
    for size in range(min(MAX_NAME_WORDS, len(run) - i), 0, -1):
        words = run[i : i + size]
        if not words[-1].initial and _is_name(words, context, len(run) == size, g):
            return size
    return 0


def _initials_name(run: list[_Word], i: int, g: Gazetteer) -> int:
    """Initials and a surname ("J. R. R. Tolkien", "T. S. Eliot")."""
    j = i
    while j < len(run) and run[j].initial:
        j += 1
    if j < len(run):
        last = run[j].text
        if last not in g.places and (last in g.surnames or not g.ordinary(last)):
            return j - i + 1
    return 0


def _is_name(words: list[_Word], context: _Context, whole_run: bool, g: Gazetteer) -> bool:
    """Whether these words (a run, or its start) are a name; `whole_run`: nothing capitalised
    stands right before or after them."""
    first, last = words[0].text, words[-1].text
    if len(words) > 1 and " ".join(w.text for w in words) in g.places:
        return False  # "San Francisco", "Buenos Aires"
    if first in g.places:
        # "Georgia", "August", "Austin": a name only before a surname that is no ordinary word.
        return len(words) > 1 and last in g.surnames and not g.ordinary(last)
    if last in g.places and (len(words) == 1 or first not in g.given):
        return False  # "Visit Paris"; but "Maria Lima", "John Hamilton" are people
    if any(w.shouted for w in words):
        return _is_shouted_name(words, context, g)
    first_given, last_surname = first in g.given, last in g.surnames
    middle = words[1:-1]
    # One middle name between a known given name and surname may be any word ("Martin Luther
    # King"); otherwise an ordinary word in the middle is a heading's.
    any_middle = first_given and last_surname and len(middle) == 1
    if not any_middle and not all(
        w.initial or g.known(w.text) or not g.ordinary(w.text) for w in middle
    ):
        return False
    if len(words) == 1:
        known, plain = g.known(first), g.ordinary(first)
        if plain and not known:
            return False  # checked first: most capitalised words start a sentence
        cue = context.cue
        return cue == "strong" or (cue == "weak" and known and not plain)
    first_plain, last_plain = g.ordinary(first), g.ordinary(last)
    if first_given and last_surname:
        if not (first_plain and last_plain):
            return True
        # Two ordinary words that are also names ("Bill Gates", "Will Young"): a name when it
        # stands alone, not inside a longer run of capitalised words such as a heading.
        return whole_run or context.cue != ""
    if first_plain or last_plain:
        return context.cue == "strong" and not (first_plain and last_plain)
    if first_given or last_surname or context.cue == "strong":
        return True
    # Neither word known nor ordinary ("Tendai Moyo"): a name when the pair stands alone in the
    # middle of a sentence, where capitals are not there for a heading or a sentence's start.
    return len(words) == 2 and whole_run and context.mid_sentence


def _is_shouted_name(words: list[_Word], context: _Context, g: Gazetteer) -> bool:
    """Words in capitals ("PATIENT: JOHN SMITH" on a form) are mostly acronyms and headings
    ("AWS EKS", "GRACE PERIOD"), so only known names count: a known given name and surname, or
    known or unusual words after a strong cue."""
    first, last = words[0].text, words[-1].text
    if len(words) == 1:  # "Dear MR. OKAFOR", not "Attn: HR" or "Attention: URGENT"
        return (
            context.cue == "strong" and len(first) > 2 and (g.known(first) or not g.ordinary(first))
        )
    if not all(w.initial or g.known(w.text) for w in words[1:-1]):
        return False
    if first in g.given and last in g.surnames:
        return not (g.ordinary(first) and g.ordinary(last)) or context.cue != ""
    return context.cue == "strong" and all(g.known(w.text) or not g.ordinary(w.text) for w in words)
