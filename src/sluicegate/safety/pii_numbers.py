"""Recognisers of numbers that identify a person or an account: cards, phones, national ids,
IBANs and IPv4 addresses.

Every one of them holds a run of at least four digits, so one scan finds those runs and the
precise patterns only look at a window around each: ordinary prose pays for one pass over the
text, not one per recogniser. Each pattern refuses to start or end inside a longer run of digits
(`(?<!\\d[ -])` and the like), so an order number never yields a card hidden in its middle, and
each match must pass its check digit or issuing rules before it is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from sluicegate.safety.pii_checks import (
    IBAN_LENGTHS,
    bsn_valid,
    card_valid,
    dni_valid,
    iban_valid,
    nino_valid,
    nir_valid,
    ssn_valid,
    verhoeff_valid,
)

Found = tuple[int, int]
"""A span of the text: start and end offsets."""
Finder = Callable[[str, int, int], Iterator[Found]]
"""Finds one type within `text[start:end]` (lookbehinds still see the text before `start`)."""

_SEPARATORS = b" ./()-"
_DATE = re.compile(r"\d{4}([-/.])\d\d?\1\d\d?|\d\d?([-/.])\d\d?\2\d{4}|\d{4}")
"""Dates, and a lone year."""
RUN = re.compile(r"[0-9](?<![0-9]{2})(?:(?:[ ./()\-]{0,2}[0-9]){5,}|[0-9]{0,2}(?:\.[0-9]{1,3}){3})")
"""Six or more digits, short separators allowed, or the dotted shape of an IPv4 address: every
recogniser here needs one, and the version and issue numbers of technical text have neither."""
MARGIN = 40
"""How far around a run a match may reach (letters of an IBAN before its digits, a NINO
suffix)."""
_LOOK = 64
"""Longer than any match here, so a match starting in a window ends before this far past it."""

_D1 = r"\d(?<![\w.,:\-/+]\d)(?<!\d[ \-.]\d)"
"""A digit that starts a number: not inside a word, a longer number, a path or a phone number.
The checks follow the digit so the pattern still starts with a digit, which the regex engine
skips to quickly."""
_END = r"(?![\w]|[ .\-/]\d)"
"""Not followed by more of the same number."""
_D1_BARE = r"\d(?<![\w.,:\-/+]\d)(?<!\d[\-.]\d)"
_END_BARE = r"(?![\w]|[.\-/]\d)"
"""The same for numbers written without spaces, which a space and another number may follow."""

_CARD = re.compile(_D1 + r"(?:[ \-]?\d){12,18}" + _END)
_PHONE_INTL = re.compile(
    r"\+(?<![\w+]\+)(?=[1-9])"
    r"(?:\d{7,15}|\d{1,3}(?:[ .\-]?\(\d{1,4}\))?[ .\-]?\d{1,5}(?:[ .\-]\d{1,8}){0,5})"
    r"(?![\w]|[ .\-]?\d)"
)
_PHONE_NANP = re.compile(
    r"(?<![\w+\-./(:])(?<!\d[ \-.])(?:\+?1[ .\-]?)?"
    r"(?:\(([2-9]\d\d)\)[ ]?|([2-9]\d\d)([ .\-]))"
    r"([2-9]\d\d)(?(3)\3|[ .\-])(\d{4})(?![\w]|[ .\-/]\d)"
)
_PHONE_TRUNK = re.compile(
    r"(?:\((?<![\w+\-./(:]\()0[1-9]\d{0,3}\)[ ]?"
    r"|0(?<![\w+\-./(:]0)(?<!\d[ \-.]0)[1-9]\d{0,3}([ .\-]))"
    r"\d{2,8}(?:(?(1)\1|[ .\-])\d{2,8}){0,3}(?![\w]|[ .\-/]\d)"
)
_PHONE_BARE = re.compile(_D1_BARE + r"\d{9,10}" + _END_BARE)
_PHONE_WORDS = re.compile(
    r"(?i:\b(?:phone|tel|telephone|mobile|cell|cellphone|fax|whatsapp|sms|call me|text me|"
    r"reach me|contact me)\b)"
)
_SSN = re.compile("(" + _D1 + r"\d\d)([ \-])(\d{2})\2(\d{4})" + _END)
_SSN_BARE = re.compile("(" + _D1_BARE + r"\d\d)(\d{2})(\d{4})" + _END_BARE)
_SSN_WORDS = re.compile(r"(?i:\b(?:ssn|ss#|social security|social-security)\b)")
_IPV4 = re.compile(r"\d(?<![\w.\-]\d)\d{0,2}(?:\.\d{1,3}){3}(?![\w\-]|\.\d)")
"""Four dotted numbers; each must then be an octet (0-255, no leading zero)."""
_VERSION_WORDS = re.compile(r"(?i:\b(?:version|ver|release|build|firmware|v)\.?\s*$)")
_IBAN = re.compile(r"([A-Z](?<![A-Za-z0-9][A-Z])[A-Z])(\d{2})((?:[ ]?[A-Z0-9]){10,30})")
_NINO = re.compile(
    r"([A-CEGHJ-PR-TW-Z](?<![A-Za-z0-9].)[A-CEGHJ-NPR-TW-Z])"
    r"(?:[ ]?\d{6}[ ]?|[ ]\d{2}[ ]\d{2}[ ]\d{2}[ ]?)([A-D])(?![A-Za-z0-9])"
)
_DNI = re.compile(r"([0-9XYZ](?<![\w\-./].)\d{7})-?([A-Z])(?![\w])")
_NIR = re.compile(
    r"([1-478])(?<![\w\-.,].)([ ]?)(\d{2})\2(\d{2})\2(\d{2}|2[AB])\2(\d{3})\2(\d{3})\2(\d{2})"
    r"(?![\w]|[ ]\d)"
)
_BSN = re.compile("(" + _D1 + r"(?:\d{3}\.\d{2}\.\d{3}|\d{8}))" + _END)
_BSN_WORDS = re.compile(r"(?i:\b(?:bsn|burgerservicenummer|sofinummer|sofi-nummer)\b)")
_AADHAAR = re.compile("(" + _D1 + r"\d{3})([ \-]?)(\d{4})\2(\d{4})" + _END)
_AADHAAR_WORDS = re.compile(r"(?i:\b(?:aadhaar|aadhar|uidai|uid)\b|आधार)")


class Window(NamedTuple):
    """A region around one or more runs of digits, and the most digits any of them holds."""

    start: int
    end: int
    digits: int
    dotted: bool


def windows(text: str, hints: re.Pattern[str] = RUN) -> list[Window]:
    """Merged regions of `text` around the hints (runs of digits) where PII can be.

    Runs shaped like a date ("2024-05-01", "01/05/2024") hold no PII and make no window.
    """
    merged: list[Window] = []
    size = len(text)
    for run in hints.finditer(text):
        raw = run.group()
        if _DATE.fullmatch(raw):
            continue
        digits = len(raw.encode("ascii").translate(None, _SEPARATORS))
        dotted = raw.count(".") >= 3
        start, end = max(0, run.start() - MARGIN), min(size, run.end() + MARGIN)
        if merged and start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Window(last.start, end, max(digits, last.digits), dotted or last.dotted)
        else:
            merged.append(Window(start, end, digits, dotted))
    return merged


def matches(pattern: re.Pattern[str], text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """Matches of `pattern` starting in `text[start:end]`.

    The search may read `_LOOK` characters past `end`, so a match near the edge of the window
    still sees the real character after it; one that reaches that limit is dropped, since what
    follows it is unknown.
    """
    limit = min(len(text), end + _LOOK)
    for match in pattern.finditer(text, start, limit):
        if match.start() >= end:
            return
        if match.end() < limit or limit == len(text):
            yield match


def _context(text: str, start: int, words: re.Pattern[str]) -> bool:
    """Whether a keyword naming the type stands shortly before `start`."""
    return words.search(text, max(0, start - 48), start) is not None


def _digits(raw: str) -> str:
    return "".join(char for char in raw if char.isdigit())


def find_cards(text: str, start: int, end: int) -> Iterator[Found]:
    for match in matches(_CARD, text, start, end):
        raw = match.group()
        if _card_layout(raw) and card_valid(_digits(raw)):
            yield match.span()


def _card_layout(raw: str) -> bool:
    """Digits together, or grouped as cards print them: fours, or Amex/Diners 4-6-5 and 4-6-4."""
    if raw.isdigit():
        return True
    separators = {char for char in raw if not char.isdigit()}
    if len(separators) != 1:
        return False
    groups = [len(group) for group in raw.split(separators.pop())]
    if groups in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(size == 4 for size in groups[:-1]) and 1 <= groups[-1] <= 4


def find_phones(text: str, start: int, end: int) -> Iterator[Found]:
    for match in matches(_PHONE_INTL, text, start, end):
        raw = match.group()
        count = len(_digits(raw)) - (1 if "(0)" in raw else 0)
        if 8 <= count <= 15 and _not_filler(raw):
            yield match.span()
    for match in matches(_PHONE_NANP, text, start, end):
        area = match.group(1) or match.group(2)
        if area[1:] != "11" and match.group(4)[1:] != "11":
            yield match.span()
    for match in matches(_PHONE_TRUNK, text, start, end):
        raw = match.group()
        if 10 <= len(_digits(raw)) <= 11 and _not_filler(raw):
            yield match.span()
    for match in matches(_PHONE_BARE, text, start, end):
        digits = _digits(match.group())
        if len(digits) == 11 and digits[0] != "1":
            continue
        national = digits[1:] if len(digits) == 11 else digits
        plausible = national[0] in "23456789" and national[3] in "23456789"
        if plausible and _context(text, match.start(), _PHONE_WORDS):
            yield match.span()


def _not_filler(raw: str) -> bool:
    """Not mostly zeros: hex dumps and padded counters are, phone numbers are not."""
    digits = _digits(raw)
    return digits.count("0") * 2 <= len(digits)


def find_ssns(text: str, start: int, end: int) -> Iterator[Found]:
    for match in matches(_SSN, text, start, end):
        if ssn_valid(match.group(1), match.group(3), match.group(4)):
            yield match.span()
    for match in matches(_SSN_BARE, text, start, end):
        if ssn_valid(*match.groups()) and _context(text, match.start(), _SSN_WORDS):
            yield match.span()


def find_ipv4(text: str, start: int, end: int) -> Iterator[Found]:
    for match in matches(_IPV4, text, start, end):
        if not all(_octet(part) for part in match.group().split(".")):
            continue
        if _VERSION_WORDS.search(text, max(0, match.start() - 16), match.start()) is None:
            yield match.span()


def _octet(part: str) -> bool:
    return int(part) <= 255 and (part == "0" or part[0] != "0")


def find_ibans(text: str, start: int, end: int) -> Iterator[Found]:
    position, limit = start, min(len(text), end + _LOOK)
    while (match := _IBAN.search(text, position, limit)) and match.start() < end:
        span = _iban_span(text, match)
        if span is not None:
            yield span
            position = span[1]
        else:
            position = match.start() + 1


def _iban_span(text: str, match: re.Match[str]) -> Found | None:
    """The IBAN that starts at `match`, cut at its country's length, if it checks."""
    length = IBAN_LENGTHS.get(match.group(1))
    if length is None:
        return None
    count, index = 0, match.start()
    while index < match.end() and count < length:
        count += text[index] != " "
        index += 1
    if count < length or (index < len(text) and text[index].isalnum()):
        return None
    raw = text[match.start() : index]
    if " " in raw:
        groups = [len(group) for group in raw.split(" ")]
        if not all(size == 4 for size in groups[:-1]) or not 1 <= groups[-1] <= 4:
            return None
    return (match.start(), index) if iban_valid(raw.replace(" ", "")) else None


def find_ninos(text: str, start: int, end: int) -> Iterator[Found]:
    for match in matches(_NINO, text, start, end):
        raw = match.group()
        spaced = raw.count(" ")
        if spaced not in (0, 2, 3, 4) or not nino_valid(match.group(1)):
            continue
        yield match.span()


def find_dnis(text: str, start: int, end: int) -> Iterator[Found]:
    for match in matches(_DNI, text, start, end):
        if dni_valid(match.group(1), match.group(2)):
            yield match.span()


def find_nirs(text: str, start: int, end: int) -> Iterator[Found]:
    for match in matches(_NIR, text, start, end):
        sex, _, year, month, department, commune, order, key = match.groups()
        if nir_valid(sex + year + month + department + commune + order, key):
            yield match.span()


def find_bsns(text: str, start: int, end: int) -> Iterator[Found]:
    for match in matches(_BSN, text, start, end):
        raw = match.group(1)
        if bsn_valid(_digits(raw)) and ("." in raw or _context(text, match.start(), _BSN_WORDS)):
            yield match.span()


def find_aadhaars(text: str, start: int, end: int) -> Iterator[Found]:
    for match in matches(_AADHAAR, text, start, end):
        digits = _digits(match.group())
        if digits[0] in "01" or not verhoeff_valid(digits):
            continue
        if match.group(2) or _context(text, match.start(), _AADHAAR_WORDS):
            yield match.span()
