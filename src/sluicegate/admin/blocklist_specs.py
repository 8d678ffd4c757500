"""What a caller asks of a blocklist: a whole list (`BlocklistSpec`) or changes to one
(`BlocklistChanges`).

Both check their fields when they are made, so bad input is refused before anything is read or
written, with an `InvalidRequest` that names the field, whichever interface sent it. Whether a
list can run is decided by the gateway's own matcher (`safety.blocklist.Blocklist`), so what is
accepted here is exactly what the safety policy can load; the sizes are bounded so that one list
cannot make every replica's periodic reload (and every request it checks) slow.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import TypeGuard

from sluicegate.admin.changes import KEEP, Keep
from sluicegate.core.errors import InvalidRequest
from sluicegate.safety import blocklist as matcher
from sluicegate.safety.blocklist import Blocklist
from sluicegate.safety.term_trie import phrase_key
from sluicegate.safety.text_fold import fold_char_run

MAX_NAME_LENGTH = 64
"""As long a name as the matcher takes."""
MAX_TERMS = 10_000
"""Fewer than the matcher takes: every replica re-reads every list every few seconds."""
MAX_PATTERNS = matcher.MAX_PATTERNS
MAX_TERM_LENGTH = matcher.MAX_TERM_LENGTH
MAX_PATTERN_LENGTH = matcher.MAX_PATTERN_LENGTH
MAX_DESCRIPTION_LENGTH = 500
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
"""What the matcher takes as a name (it also allows non-ASCII letters), in ASCII: a name is
typed on command lines and into configs."""
_UNSTORABLE = frozenset({"Cc", "Cs"})
"""Control characters and lone surrogates: invisible in every listing, and PostgreSQL's JSON
refuses NUL and surrogates outright. A pattern can still match them through escapes (`\\t`)."""


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_name(name: object) -> TypeGuard[str]:
    return isinstance(name, str) and 1 <= len(name) <= MAX_NAME_LENGTH and bool(_NAME.match(name))


def check_name(name: object) -> str:
    """A list name: 1 to 64 letters, digits, `_`, `.` or `-`."""
    if not is_name(name):
        raise InvalidRequest(
            f"name {_shown(name)}: a blocklist name is 1 to {MAX_NAME_LENGTH} letters, digits, "
            "'_', '.' or '-'",
            param="name",
        )
    return name


def term_key(term: str) -> str:
    """What makes two terms the same for the matcher, which compares them folded (case,
    compatibility forms, invisible characters) with their spaces collapsed: `Contoso GPT` and
    `contoso  gpt` are one term."""
    return phrase_key(fold_char_run(term))


def _unstorable(text: str) -> bool:
    return any(unicodedata.category(char) in _UNSTORABLE for char in text)


def _items(field: str, values: object, limit: int) -> tuple[str, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidRequest(f"{field} must be a list of strings", param=field)
    items = tuple(values)
    if len(items) > limit:
        raise InvalidRequest(
            f"{field} holds {len(items):,} entries; a blocklist holds at most {limit:,}",
            param=field,
        )
    for item in items:
        if not isinstance(item, str):
            raise InvalidRequest(f"{field}: {_shown(item)} is not a string", param=field)
    return items


def _check_term(field: str, term: str) -> str:
    text = term.strip()
    if not text:
        raise InvalidRequest(f"{field}: a term must not be empty or blank", param=field)
    if len(text) > MAX_TERM_LENGTH:
        raise InvalidRequest(
            f"{field}: a term is at most {MAX_TERM_LENGTH:,} characters, not {len(text):,} "
            f"({_shown(text)})",
            param=field,
        )
    if _unstorable(text):
        raise InvalidRequest(
            f"{field}: {_shown(text)} holds a control character; a term is text on one line",
            param=field,
        )
    return text


def _check_pattern(field: str, pattern: str) -> str:
    if not pattern:
        raise InvalidRequest(
            f"{field}: a pattern must not be empty (it would match every text)", param=field
        )
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidRequest(
            f"{field}: a pattern is at most {MAX_PATTERN_LENGTH:,} characters, not "
            f"{len(pattern):,} ({_shown(pattern)})",
            param=field,
        )
    if _unstorable(pattern):
        raise InvalidRequest(
            f"{field}: {_shown(pattern)} holds a control character; write it as an escape "
            "(\\t, \\n, \\x00)",
            param=field,
        )
    return pattern


def check_terms(field: str, values: object, limit: int = MAX_TERMS) -> tuple[str, ...]:
    """Terms without the spaces around them, each once as the matcher compares them (the
    first spelling wins)."""
    seen: dict[str, str] = {}
    for term in _items(field, values, limit):
        text = _check_term(field, term)
        seen.setdefault(term_key(text), text)
    return tuple(seen.values())


def check_patterns(field: str, values: object, limit: int = MAX_PATTERNS) -> tuple[str, ...]:
    """Patterns as written, each once."""
    return tuple(dict.fromkeys(_check_pattern(field, p) for p in _items(field, values, limit)))


def check_description(value: object) -> str:
    text = value.strip() if isinstance(value, str) else None
    if text is None or len(text) > MAX_DESCRIPTION_LENGTH or _unstorable(text):
        raise InvalidRequest(
            f"description must be one line of text of at most {MAX_DESCRIPTION_LENGTH} "
            f"characters, not {_shown(value)}",
            param="description",
        )
    return text


def check_runnable(
    name: str,
    terms: tuple[str, ...],
    patterns: tuple[str, ...],
    *,
    terms_field: str = "terms",
    patterns_field: str = "patterns",
) -> None:
    """Refuse what the gateway's matcher refuses, naming the field at fault.

    The whole list is built once, as the gateway builds it; only when that fails are the name,
    the terms and the patterns tried apart, to say which of them is wrong."""
    try:
        Blocklist(name, terms=terms, patterns=patterns)
        return
    except ValueError as error:
        problem = error
    try:
        Blocklist(name)
    except ValueError as error:
        raise InvalidRequest(f"name: {error}", param="name") from None
    field = patterns_field
    if terms:
        try:
            Blocklist(name, terms=terms, patterns=())
        except ValueError as error:
            problem, field = error, terms_field
    raise InvalidRequest(f"{field}: {problem}", param=field) from None


@dataclass(frozen=True, slots=True)
class BlocklistSpec:
    """A whole list as a caller asks for it; checked when made (`InvalidRequest`).

    Terms are kept without the spaces around them and each once (compared as they match);
    patterns as written, each once."""

    name: str
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        check_name(self.name)
        object.__setattr__(self, "terms", check_terms("terms", self.terms))
        object.__setattr__(self, "patterns", check_patterns("patterns", self.patterns))
        object.__setattr__(self, "description", check_description(self.description))
        check_runnable(self.name, self.terms, self.patterns)


@dataclass(frozen=True, slots=True)
class BlocklistChanges:
    """Terms and patterns to add or remove, and a new description; checked when made.

    Adding what the list holds already, or removing what it does not hold, changes nothing
    (terms compare as they match, see `term_key`). Naming one entry both to add and to remove
    is refused: which should win is anybody's guess. `description=KEEP` leaves it; `""` clears
    it."""

    add_terms: tuple[str, ...] = ()
    remove_terms: tuple[str, ...] = ()
    add_patterns: tuple[str, ...] = ()
    remove_patterns: tuple[str, ...] = ()
    description: str | Keep = KEEP

    def __post_init__(self) -> None:
        add_terms = check_terms("add_terms", self.add_terms)
        remove_terms = check_terms("remove_terms", self.remove_terms)
        add_patterns = check_patterns("add_patterns", self.add_patterns)
        remove_patterns = check_patterns("remove_patterns", self.remove_patterns)
        both = {term_key(t) for t in add_terms} & {term_key(t) for t in remove_terms}
        _refuse_both("terms", [t for t in add_terms if term_key(t) in both])
        _refuse_both("patterns", [p for p in add_patterns if p in set(remove_patterns)])
        object.__setattr__(self, "add_terms", add_terms)
        object.__setattr__(self, "remove_terms", remove_terms)
        object.__setattr__(self, "add_patterns", add_patterns)
        object.__setattr__(self, "remove_patterns", remove_patterns)
        if not isinstance(self.description, Keep):
            object.__setattr__(self, "description", check_description(self.description))

    def given(self) -> tuple[str, ...]:
        """The names of the fields this change touches, in declaration order."""
        untouched: tuple[object, ...] = ((), KEEP)
        return tuple(f.name for f in fields(self) if getattr(self, f.name) not in untouched)


def _refuse_both(kind: str, entries: list[str]) -> None:
    if entries:
        raise InvalidRequest(
            f"remove_{kind}: {_shown(entries[0])} is also in add_{kind}; name each entry in "
            "one of them only",
            param=f"remove_{kind}",
        )
