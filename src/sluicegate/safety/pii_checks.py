"""Check digits and issuing rules of the numbers PII detection recognises.

A pattern alone flags every order number of the right length; the check digit (Luhn, mod 97,
Verhoeff, the 11-check, the DNI letter) and the issuing rules (card prefixes, SSN areas, NINO
prefixes, IBAN lengths per country) are what make a match worth reporting. Every function takes
the number as written, separators removed by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

CARD_PREFIXES: tuple[tuple[int, int, tuple[int, ...]], ...] = (
    # (first prefix, last prefix, allowed lengths); prefixes compared on the same digit count.
    (4, 4, (13, 16, 19)),  # Visa
    (51, 55, (16,)),  # Mastercard
    (2221, 2720, (16,)),  # Mastercard 2-series
    (34, 34, (15,)),  # American Express
    (37, 37, (15,)),  # American Express
    (6011, 6011, (16, 17, 18, 19)),  # Discover
    (644, 649, (16, 17, 18, 19)),  # Discover
    (65, 65, (16, 17, 18, 19)),  # Discover, RuPay
    (62, 62, (16, 17, 18, 19)),  # UnionPay
    (300, 305, (14, 15, 16, 17, 18, 19)),  # Diners Club
    (3095, 3095, (14, 15, 16, 17, 18, 19)),  # Diners Club
    (36, 36, (14, 15, 16, 17, 18, 19)),  # Diners Club
    (38, 39, (14, 15, 16, 17, 18, 19)),  # Diners Club
    (3528, 3589, (16, 17, 18, 19)),  # JCB
    (2200, 2204, (16, 17, 18, 19)),  # Mir
    (5018, 5018, (13, 14, 15, 16, 17, 18, 19)),  # Maestro
    (5020, 5020, (13, 14, 15, 16, 17, 18, 19)),  # Maestro
    (5038, 5038, (13, 14, 15, 16, 17, 18, 19)),  # Maestro
    (5893, 5893, (13, 14, 15, 16, 17, 18, 19)),  # Maestro
    (6304, 6304, (13, 14, 15, 16, 17, 18, 19)),  # Maestro
    (6759, 6759, (13, 14, 15, 16, 17, 18, 19)),  # Maestro UK
    (6761, 6763, (13, 14, 15, 16, 17, 18, 19)),  # Maestro
    (60, 60, (16,)),  # RuPay
    (81, 82, (16,)),  # RuPay
    (508, 508, (16,)),  # RuPay
    (9792, 9792, (16,)),  # Troy
)

IBAN_LENGTHS: Mapping[str, int] = MappingProxyType({
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
})  # fmt: skip
"""Countries in the IBAN registry and the length of their IBANs."""

_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_SSN_NEVER_ISSUED = frozenset({"078051120", "219099999"})
"""Numbers printed in advertisements and invalidated by the SSA."""

_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of card numbers: one wrong or swapped digit fails it."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_valid(digits: str) -> bool:
    """A payment card number: a known issuer prefix, that issuer's length, and Luhn."""
    if not 13 <= len(digits) <= 19 or not digits.isdigit():
        return False
    for low, high, lengths in CARD_PREFIXES:
        width = len(str(low))
        if low <= int(digits[:width]) <= high and len(digits) in lengths:
            return luhn_valid(digits)
    return False


def iban_valid(compact: str) -> bool:
    """An IBAN with spaces removed: a registered country, its length, and mod 97 == 1."""
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is None or len(compact) != expected or not compact[2:4].isdigit():
        return False
    if not compact.isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def verhoeff_valid(digits: str) -> bool:
    """The Verhoeff check (Aadhaar): catches every single error and adjacent swap."""
    check = 0
    for index, char in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[index % 8][ord(char) - 48]]
    return check == 0


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """A US SSN the SSA could have issued: area not 000, 666 or 9xx, group and serial not 0."""
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return area + group + serial not in _SSN_NEVER_ISSUED


def nino_valid(prefix: str) -> bool:
    """A UK National Insurance number prefix HMRC allocates (letters checked by the pattern)."""
    return prefix not in _NINO_BAD_PREFIXES


def dni_valid(number: str, letter: str) -> bool:
    """A Spanish DNI (8 digits) or NIE (X, Y or Z and 7 digits): the letter is mod 23."""
    lead = "XYZ".find(number[0])
    if lead >= 0:
        number = str(lead) + number[1:]
    return number.isdigit() and _DNI_LETTERS[int(number) % 23] == letter.upper()


def nir_valid(body: str, key: str) -> bool:
    """A French NIR (social security number): 13 characters and a key of 97 - n mod 97.

    Corsica's departments 2A and 2B count as 19 and 18 for the key.
    """
    if body[5:7] == "2A":
        body = body[:5] + "19" + body[7:]
    elif body[5:7] == "2B":
        body = body[:5] + "18" + body[7:]
    if not body.isdigit() or not key.isdigit():
        return False
    month = int(body[3:5])
    if month == 0 or 12 < month < 20:
        return False
    return 97 - int(body) % 97 == int(key)


def bsn_valid(digits: str) -> bool:
    """A Dutch BSN: nine digits passing the 11-check (the last digit weighs -1)."""
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    return (_weighted(digits[:8], range(9, 1, -1)) - int(digits[8])) % 11 == 0


def _weighted(digits: str, weights: Sequence[int]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True))
