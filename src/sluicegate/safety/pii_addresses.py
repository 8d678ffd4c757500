"""Street addresses, found by the shapes postal addresses take in English, German, Dutch,
French, Spanish, Italian and Portuguese, with the city and postcode that follow them.

An address needs a house number and a street type word ("12 Baker Street", "Hauptstraße 5",
"12 rue de la Paix", "Via Roma 10"), or a city and postcode after a numbered street ("743 Rachel
Burgs, North Debratown, FM 50466"), or is a post-office box. Neither a number nor a street type
alone is enough: "Baker Street" without a number is a place anyone may name, and numbers beside
capitalised words are everywhere. What it misses: addresses without a street type or postcode
("1 Infinite Loop" is found, "10 Downing" is not), streets named in lower case, and the formats
of other countries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_NUMBER = r"\d{1,6}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
_CAP = r"(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*|\d{1,3}(?:st|nd|rd|th))"
_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl"
    r"|Square|Sq|Terrace|Way|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Close|Crescent|Grove|Mews"
    r"|Plaza|Alley|Turnpike|Crossing|Gardens|Loop|Row|Walk|Wharf|Expressway|Freeway)"
)
_UNIT = (
    r"(?:,?[ \t]+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|Bldg|Building)\.?"
    r"[ \t]*\#?[ \t]*[\w-]{1,6}|,?[ \t]+\#[ \t]?\d{1,5})"
)
_CITY = r"[A-ZÀ-ÖØ-Þ][\w'’.-]*(?:[ \t]+[A-ZÀ-ÖØ-Þ][\w'’.-]*){0,3}"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[ABD-HJLNP-UW-Z]{2}"
_EIRCODE = r"[AC-FHKNPRTV-Y]\d[\dW][ \t]?[0-9AC-FHKNPRTV-Y]{4}"
_STATE_POSTCODE = (
    r"(?:[A-Z]{2}[ \t]+(?:\d{5}(?:-\d{4})?|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d)"
    r"|(?:NSW|VIC|QLD|SA|WA|TAS|NT|ACT),?[ \t]+\d{4})"
)
"""A US state and ZIP code, a Canadian province and postcode, an Australian state and
postcode."""
_POSTCODE = rf"(?:{_STATE_POSTCODE}|{_UK_POSTCODE}|{_EIRCODE}|\d{{5}}(?:-\d{{4}})?)"
_STREET = rf"\b{_NUMBER}[ \t]+(?:[NSEW]\.?[ \t]+)?(?:{_CAP}[ \t]+){{1,4}}"
_ENGLISH = re.compile(
    rf"{_STREET}{_SUFFIX}\b\.?(?:[ \t]+(?:N|S|E|W|NE|NW|SE|SW)\b\.?)?{_UNIT}?"
    rf"(?:,?[ \t]+{_CITY}(?:,?[ \t]+{_POSTCODE}\b)|,[ \t]+{_CITY}|,?[ \t]+{_POSTCODE}\b)?"
)
"""US, UK, Irish, Canadian and Australian addresses: number, street words, street type, unit,
then the city, state and ZIP code or postcode."""
_ENGLISH_TAILED = re.compile(
    rf"(?:\b(?:Flat|Studio|Unit|Level|Apartment|Apt\.?)[ \t]+\w{{1,5}},?[ \t]+)?"
    rf"(?:\b{_NUMBER}[ \t]+)?(?:{_CAP}[ \t]+){{0,3}}{_CAP}\b\.?{_UNIT}?"
    rf"(?:,[ \t]*{_CITY}){{1,2}},?[ \t]+{_POSTCODE}\b"
)
"""The same with a street type that is an ordinary word ("Rachel Burgs", "Jones Light"), or
none, or no number ("Flat 3, Abbie Forest"): only with the city and a postcode after it."""
_LOCAL_NUMBER = r"\d{1,4}(?:[ \t]?[a-zA-Z]\b|[-/]\d{1,4}[a-zA-Z]?)?\b"
_GERMANIC = re.compile(
    rf"\b[A-ZÄÖÜ][\wäöüß'.-]*(?i:stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|damm|ufer"
    rf"|chaussee|straat|laan|plein|gracht|kade|singel|dijk|boulevard|hof|markt|steeg|dreef"
    rf"|baan|plantsoen)[ \t]+{_LOCAL_NUMBER}"
    rf"(?:,?[ \t]+(?:\d{{4,5}}|\d{{4}}[ \t]?[A-Z]{{2}})[ \t]+{_CITY})?"
)
"""German, Austrian, Swiss and Dutch: the street in one word, then the number and the postcode
and city ("Hauptstraße 5, 10115 Berlin", "Keizersgracht 123, 1015 CJ Amsterdam")."""
_DUTCH_PATH = re.compile(
    rf"\b[A-Z][\w'.-]*pad[ \t]+{_LOCAL_NUMBER},?[ \t]+\d{{4}}[ \t]?[A-Z]{{2}}\b"
)
"""A Dutch "-pad" (path) only with its postcode after it: "Notepad 2" is no address."""
_LINK = r"(?:(?:de|du|des|la|le|les|l'|d'|del|della|dei|delle|di|da|do|dos|das|e|y)[ \t]*)"
_ROMANCE_NAME = rf"(?:{_LINK}*[A-ZÀ-ÖØ-Þ][\w'’-]*(?:[ \t]+{_LINK}*[A-ZÀ-ÖØ-Þ][\w'’-]*){{0,4}})"
_FRENCH = re.compile(
    rf"\b\d{{1,4}}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?i:rue|avenue|av\.|boulevard|bd|place|chemin"
    rf"|impasse|allée|quai|route|cours|passage|square)[ \t]+{_ROMANCE_NAME}"
    rf"(?:,?[ \t]+\d{{5}}[ \t]+{_CITY})?"
)
"""French and Belgian: number first, then the street type (in either case) and a capitalised
name ("12 rue de la Paix, 75002 Paris")."""
_SOUTHERN_TYPES = (
    r"(?:Calle|Avenida|Avda\.?|Paseo|Pasaje|Ronda|Carretera|Alameda|Callejón|Glorieta|Rambla"
    r"|Travesía|Urbanización|Cuesta|Pasadizo|Viale|Piazza|Piazzale|Corso|Strada|Contrada|Borgo"
    r"|Vicolo|Largo|Rua|Travessa|Praça|Estrada|Rodovia|Ladeira)"
)
_AMBIGUOUS_TYPES = r"(?:Via|Plaza|Camino|Carrera|Avenue|Rue|Boulevard)"
"""Street types that are also English words: "Via Slack 3 people" is no address."""
_SOUTHERN_TAIL = (
    r"(?:n[º°.]?[ \t]*)?\d{1,4}\b(?:[ \t]+(?:Apt\.|Apto\.?|Piso|Puerta|Appartamento|Interno"
    rf"|Scala|Piano)[ \t]*\w{{1,4}}\b)?(?:,?[ \t]+\d{{5}}(?:-\d{{3}})?[ \t]+{_CITY})?"
)
_SOUTHERN = re.compile(
    rf"(?:\b{_SOUTHERN_TYPES}[ \t]+{_ROMANCE_NAME},?|\bC/[ \t]*{_ROMANCE_NAME},?)[ \t]+"
    rf"{_SOUTHERN_TAIL}"
    rf"|\b{_AMBIGUOUS_TYPES}[ \t]+{_ROMANCE_NAME}[ \t]+{_SOUTHERN_TAIL}(?=[ \t]*(?:[,.;:)\n]|$))"
)
"""Spanish, Italian, Portuguese, Brazilian and Belgian: the street type first, the number after
the name ("Calle Mayor 5, 28013 Madrid", "Via Roma 10", "Rua Augusta, 100"); street types that
are also English words ("Via", "Plaza") only with the number right after the name and nothing
but punctuation after the address."""
_PO_BOX = re.compile(r"\bP\.?[ \t]?O\.?[ \t]?Box[ \t]+\d{1,6}\b", re.IGNORECASE)

_PATTERNS = (_ENGLISH, _ENGLISH_TAILED, _GERMANIC, _DUTCH_PATH, _FRENCH, _SOUTHERN, _PO_BOX)
_DIGITS = re.compile(r"\d+")
_BEFORE = 160
"""Characters an address may run before its first digit (the street's name and type before
the number: "Avenida de la Constitución de los Estados 12")."""
_AFTER = 60
"""And after its last (the city after a postcode)."""


def find_street_addresses(text: str) -> Iterator[tuple[int, int]]:
    """Spans of street addresses and post-office boxes in `text`, in order; where two shapes
    match overlapping text, one span covering both. Every shape holds a digit, so only the
    text around digits is searched."""
    found = sorted(
        (match.start(), _trimmed(text, match))
        for low, high in _near_digits(text)
        for pattern in _PATTERNS
        for match in pattern.finditer(text, low, high)
    )
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    yield from merged


def _near_digits(text: str) -> list[tuple[int, int]]:
    """Windows around the runs of digits, merged where they overlap."""
    windows: list[tuple[int, int]] = []
    for run in _DIGITS.finditer(text):
        low, high = max(0, run.start() - _BEFORE), min(len(text), run.end() + _AFTER)
        if windows and low <= windows[-1][1]:
            windows[-1] = (windows[-1][0], high)
        else:
            windows.append((low, high))
    return windows


def _trimmed(text: str, match: re.Match[str]) -> int:
    """The end of a match without a trailing full stop that ends the sentence."""
    end = match.end()
    while end > match.start() and text[end - 1] in ".,":
        end -= 1
    return end
