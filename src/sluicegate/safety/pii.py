"""PII detection: personal data and credentials in a text, found offline by pattern and check
digit.

`PiiDetector(types)` is a detector (text → `Verdict`) reporting one `Finding` per type found,
category PII at `DETECTED` severity, with every span of that type; labels name the type (and,
for secrets, the kind of secret), never the value. `redact` in `safety/redact.py` replaces the
spans.

Names of people (`person_name`: a gazetteer of given names and surnames and the words around
them, `safety/pii_names.py`) and street addresses (`street_address`: the shapes of postal
addresses, `safety/pii_addresses.py`) are found with less certainty than the checked numbers, so
they run only when named in `types` (`OPT_IN_TYPES`). Numbers written in non-ASCII digits and
lowercase IBANs are not recognised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from sluicegate.safety.pii_addresses import find_street_addresses
from sluicegate.safety.pii_names import find_person_names, shipped_gazetteer
from sluicegate.safety.pii_net import find_emails, find_ipv6
from sluicegate.safety.pii_numbers import (
    Finder,
    Found,
    find_aadhaars,
    find_bsns,
    find_cards,
    find_dnis,
    find_ibans,
    find_ipv4,
    find_ninos,
    find_nirs,
    find_phones,
    find_ssns,
    windows,
)
from sluicegate.safety.pii_secrets import find_secrets
from sluicegate.safety.verdict import CLEAN, DETECTED, Category, Finding, Span, Verdict

DETECTOR = "pii"

_NUMERIC: tuple[tuple[str, Finder, int], ...] = (
    ("phone", find_phones, 7),
    ("credit_card", find_cards, 13),
    ("iban", find_ibans, 6),
    ("ip_address", find_ipv4, 0),
    ("us_ssn", find_ssns, 9),
    ("uk_nino", find_ninos, 6),
    ("es_dni", find_dnis, 7),
    ("fr_nir", find_nirs, 6),
    ("nl_bsn", find_bsns, 9),
    ("in_aadhaar", find_aadhaars, 12),
)
"""Types found in windows around runs of digits, and the fewest digits in a run they need
(IPv4 instead needs a run with three dots)."""
_WHOLE: tuple[tuple[str, Callable[[str], Iterator[Found]]], ...] = (
    ("email", find_emails),
    ("ip_address", find_ipv6),
    ("street_address", find_street_addresses),
    ("person_name", find_person_names),
)
"""Types found by their own fast search over the whole text."""

_UNCHECKED = ("phone", "ip_address", "person_name")
"""Types recognised by shape alone, which give way to an overlapping checked type."""
_CHECKED = (
    "credit_card", "iban", "us_ssn", "uk_nino", "es_dni", "fr_nir", "nl_bsn", "in_aadhaar",
    "email", "street_address",
)  # fmt: skip
"""Types that win over an overlapping unchecked one (a name inside an email address or a street
name, a house number read as a phone number)."""

PII_TYPES: tuple[str, ...] = (
    "email",
    "phone",
    "credit_card",
    "iban",
    "ip_address",
    "us_ssn",
    "uk_nino",
    "es_dni",
    "fr_nir",
    "nl_bsn",
    "in_aadhaar",
    "secret",
    "person_name",
    "street_address",
)
"""Every type `PiiDetector` knows, in the order findings are reported."""
OPT_IN_TYPES = frozenset({"person_name", "street_address"})
"""Types found only when asked for by name: they are read from words, not checked numbers, and
flag some text that is not personal data (docs/safety-pii-names.md gives the measured rates)."""
DEFAULT_TYPES: tuple[str, ...] = tuple(t for t in PII_TYPES if t not in OPT_IN_TYPES)


class PiiDetector:
    """Finds the chosen PII types (`DEFAULT_TYPES` unless told) in a text; see `PII_TYPES`."""

    __slots__ = ("_numeric", "_whole", "types")

    def __init__(self, types: Iterable[str] | None = None) -> None:
        chosen = DEFAULT_TYPES if types is None else tuple(dict.fromkeys(types))
        unknown = sorted(set(chosen) - set(PII_TYPES))
        if unknown:
            names = ", ".join(map(repr, unknown))
            raise ValueError(f"unknown PII type(s) {names}; known: {', '.join(PII_TYPES)}")
        self.types = frozenset(chosen)
        self._numeric = tuple(pair for pair in _NUMERIC if pair[0] in self.types)
        self._whole = tuple(pair for pair in _WHOLE if pair[0] in self.types)
        if "person_name" in self.types:
            shipped_gazetteer()  # read at start-up (0.1 s, 16 MB), not on the first request

    def __call__(self, text: str) -> Verdict:
        found: dict[str, list[Span]] = {}
        if self._numeric:
            for window in windows(text):
                for name, finder, least in self._numeric:
                    if window.digits < least or (least == 0 and not window.dotted):
                        continue
                    for span in finder(text, window.start, window.end):
                        found.setdefault(name, []).append(Span(span[0], span[1], name))
        for name, find in self._whole:
            for span in find(text):
                found.setdefault(name, []).append(Span(span[0], span[1], name))
        if "secret" in self.types:
            for start, end, kind in find_secrets(text):
                found.setdefault("secret", []).append(Span(start, end, f"secret/{kind}"))
        if not found:
            return CLEAN
        _drop_weak_overlaps(found)
        if not found:
            return CLEAN
        return Verdict(
            tuple(
                Finding(Category.PII, DETECTED, 1.0, _distinct(found[name]), DETECTOR, name)
                for name in PII_TYPES
                if name in found
            )
        )


def _drop_weak_overlaps(found: dict[str, list[Span]]) -> None:
    """Phone numbers inside a checked number (the digits of an IBAN, a card) are part of it."""
    strong = sorted(
        (span.start, span.end) for name in _CHECKED if name in found for span in found[name]
    )
    if not strong:
        return
    for name in _UNCHECKED:
        if name in found:
            kept = [span for span in found[name] if not _overlaps(span, strong)]
            if kept:
                found[name] = kept
            else:
                del found[name]


def _overlaps(span: Span, others: list[tuple[int, int]]) -> bool:
    return any(start < span.end and span.start < end for start, end in others)


def _distinct(spans: list[Span]) -> tuple[Span, ...]:
    """Spans in order, where two recognisers of one type overlap keeping the longer."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if kept and span.start < kept[-1].end:
            if span.end - span.start > kept[-1].end - kept[-1].start:
                kept[-1] = span
            continue
        kept.append(span)
    return tuple(kept)
