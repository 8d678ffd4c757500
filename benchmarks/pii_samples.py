"""A labelled synthetic set for PII detection, reproducible from a seed.

Valid values of every type are made with their real check digits (Luhn, mod 97, Verhoeff,
the DNI letter, the NIR key, the 11-check) and placed in sentences; the same values with one
digit changed, and numbers that merely look like PII (order numbers, dates, versions, UUIDs,
hashes, prices, timestamps), are placed in sentences too, labelled with no span at all.
"""

from __future__ import annotations

import base64
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sluicegate.safety.pii_checks import IBAN_LENGTHS, luhn_valid, verhoeff_valid

Expected = tuple[str, int, int]
"""A type and the exact span it should be reported at."""


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    spans: tuple[Expected, ...]


_PREFIXES = (
    "Please contact me at {}.",
    "My details: {} (do not share).",
    "{} is the one on file.",
    "Can you update the record to {} please?",
    "The form says {}, is that right?",
    "Use {} for the refund.",
)
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_B32 = string.ascii_uppercase + "234567"
_ALNUM = string.ascii_letters + string.digits
_B64URL = string.ascii_letters + string.digits + "-_"


def samples(seed: int = 7, per_type: int = 40) -> list[Sample]:
    """Positive, invalid and look-alike samples, shuffled."""
    rng = random.Random(seed)
    out: list[Sample] = []
    for label, make in _VALID.items():
        for _ in range(per_type):
            value = make(rng)
            out.append(_place(rng, value, label, _value_offset(label, value)))
    for make_invalid in _INVALID:
        for _ in range(per_type // 2):
            out.append(_place(rng, make_invalid(rng), None))
    for make_lookalike in _LOOKALIKES:
        for _ in range(per_type // 4):
            out.append(_place(rng, make_lookalike(rng), None))
    out.extend(_contextual(rng, per_type))
    rng.shuffle(out)
    return out


def _place(
    rng: random.Random, value: str, label: str | None, offsets: tuple[int, int] | None = None
) -> Sample:
    template = rng.choice(_PREFIXES)
    at = template.index("{}")
    text = template.format(value)
    if label is None:
        return Sample(text, ())
    start, end = offsets if offsets else (0, len(value))
    return Sample(text, ((label, at + start, at + end),))


def _value_offset(label: str, value: str) -> tuple[int, int] | None:
    """Where the secret itself sits inside a value that names it (`AccountKey=...`)."""
    if label != "secret":
        return None
    for marker in ("AccountKey=", "password="):
        if value.startswith(marker):
            return len(marker), len(value)
    if "://" in value:
        start = value.index(":", value.index("://") + 3) + 1
        return start, value.index("@", start)
    return None


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _luhn_complete(partial: str) -> str:
    for check in string.digits:
        if luhn_valid(partial + check):
            return partial + check
    raise AssertionError("unreachable")


def card(rng: random.Random) -> str:
    prefix, length = rng.choice(
        (("4", 16), ("4", 13), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15),
         ("6011", 16), ("65", 16), ("3530", 16), ("36", 14), ("62", 16), ("4", 19))
    )  # fmt: skip
    number = _luhn_complete(prefix + _digits(rng, length - len(prefix) - 1))
    style = rng.choice(("plain", "space", "dash"))
    if style == "plain":
        return number
    if length == 15:
        groups = [number[:4], number[4:10], number[10:]]
    else:
        groups = [number[i : i + 4] for i in range(0, length, 4)]
    return (" " if style == "space" else "-").join(groups)


def card_invalid(rng: random.Random) -> str:
    number = card(rng)
    last = number[-1]
    return number[:-1] + str((int(last) + rng.randint(1, 9)) % 10)


def card_unknown_issuer(rng: random.Random) -> str:
    return _luhn_complete(rng.choice("179") + _digits(rng, 14))


def iban(rng: random.Random, *, valid: bool = True) -> str:
    country = rng.choice(("DE", "GB", "FR", "NL", "ES", "IT", "CH", "BE", "AT", "PL", "SE", "IE"))
    length = IBAN_LENGTHS[country]
    if country in ("GB", "NL", "IE"):
        bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
        bban += _digits(rng, length - 8)
    else:
        bban = _digits(rng, length - 4)
    moved = bban + country + "00"
    number = int("".join(str(int(char, 36)) for char in moved))
    check = 98 - number % 97
    if not valid:
        check = (check + rng.randint(1, 50)) % 97 + 2
        if 98 - number % 97 == check:
            check = check % 97 + 1
    compact = f"{country}{check:02d}{bban}"
    if rng.random() < 0.5:
        return compact
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def email(rng: random.Random) -> str:
    first = rng.choice(("anna", "john", "li", "maria", "o.connor", "dev-ops", "j_smith", "x"))
    local = first + rng.choice(("", ".doe", "+news", "42", "_1987", ".m"))
    domain = rng.choice(
        ("example.com", "mail.example.co.uk", "uni-bonn.de", "corp.io", "x.org", "shop.example.fr")
    )
    return f"{local}@{domain}"


def phone(rng: random.Random) -> str:
    area = rng.choice("23456789") + _digits(rng, 2)
    while area[1:] == "11":
        area = rng.choice("23456789") + _digits(rng, 2)
    exchange = rng.choice("23456789") + _digits(rng, 2)
    line = _digits(rng, 4)
    return rng.choice(
        (
            f"({area}) {exchange}-{line}",
            f"{area}-{exchange}-{line}",
            f"{area}.{exchange}.{line}",
            f"+1 {area} {exchange} {line}",
            f"+1-{area}-{exchange}-{line}",
            f"+44 20 {_digits(rng, 4)} {_digits(rng, 4)}",
            f"+44 7700 {_digits(rng, 6)}",
            f"020 {_digits(rng, 4)} {_digits(rng, 4)}",
            f"07700 {_digits(rng, 6)}",
            f"+33 6 {_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)}",
            f"06 {_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)}",
            f"+49 30 {_digits(rng, 8)}",
            f"+4915{_digits(rng, 9)}",
            f"+91 98{_digits(rng, 3)} {_digits(rng, 5)}",
        )
    )


def ipv4(rng: random.Random) -> str:
    return ".".join(str(rng.randint(0, 255)) for _ in range(4))


def ipv6(rng: random.Random) -> str:
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    groups[0] = rng.choice(("2001", "fe80", "2a00", "fd12"))
    style = rng.random()
    if style < 0.4:
        return ":".join(groups)
    if style < 0.8:
        return ":".join(groups[:3]) + "::" + ":".join(groups[6:])
    return rng.choice(("::1", "fe80::1", "2001:db8::" + groups[7], "::ffff:" + ipv4(rng)))


def ip_address(rng: random.Random) -> str:
    return ipv4(rng) if rng.random() < 0.5 else ipv6(rng)


def ssn(rng: random.Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def ssn_invalid(rng: random.Random) -> str:
    return rng.choice(
        (
            f"000-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}",
            f"666-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}",
            f"9{_digits(rng, 2)}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}",
            f"{rng.randint(1, 665):03d}-00-{rng.randint(1, 9999):04d}",
            f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-0000",
        )
    )


def nino(rng: random.Random) -> str:
    first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    while first + second in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
        second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    digits = _digits(rng, 6)
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{first}{second}{digits}{suffix}"
    return f"{first}{second} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"


def nino_invalid(rng: random.Random) -> str:
    return rng.choice(("BG", "GB", "DA", "QQ", "VA", "AO")) + _digits(rng, 6) + rng.choice("ABCD")


def dni(rng: random.Random, *, valid: bool = True) -> str:
    if rng.random() < 0.7:
        number = _digits(rng, 8)
        letter = _DNI_LETTERS[int(number) % 23]
        shown = number
    else:
        lead = rng.choice("XYZ")
        number = _digits(rng, 7)
        letter = _DNI_LETTERS[int(str("XYZ".index(lead)) + number) % 23]
        shown = lead + number
    if not valid:
        letter = _DNI_LETTERS[(_DNI_LETTERS.index(letter) + rng.randint(1, 22)) % 23]
    return shown + letter


def nir(rng: random.Random, *, valid: bool = True) -> str:
    body = (
        rng.choice("12")
        + _digits(rng, 2)
        + f"{rng.randint(1, 12):02d}"
        + f"{rng.randint(1, 95):02d}"
        + f"{rng.randint(1, 999):03d}"
        + f"{rng.randint(1, 999):03d}"
    )
    key = 97 - int(body) % 97
    if not valid:
        key = key % 97 + 1
    text = body + f"{key:02d}"
    if rng.random() < 0.5:
        return text
    return " ".join((text[0], text[1:3], text[3:5], text[5:7], text[7:10], text[10:13], text[13:]))


def bsn(rng: random.Random, *, valid: bool = True) -> str:
    while True:
        digits = _digits(rng, 9)
        total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
        ok = (total - int(digits[8])) % 11 == 0
        if ok == valid and digits != "000000000":
            return digits


def aadhaar(rng: random.Random, *, valid: bool = True) -> str:
    while True:
        digits = rng.choice("23456789") + _digits(rng, 11)
        if verhoeff_valid(digits) == valid:
            return f"{digits[:4]} {digits[4:8]} {digits[8:]}"


def secret(rng: random.Random) -> str:
    def pick(alphabet: str, count: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(count))

    def strong(count: int) -> str:
        return pick(string.ascii_uppercase, 2) + pick(string.digits, 2) + pick(_ALNUM, count - 4)

    def jwt() -> str:
        head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
        body = base64.urlsafe_b64encode(
            b'{"sub":"' + pick(string.digits, 8).encode() + b'","admin":true}'
        )
        return f"{head}.{body.rstrip(b'=').decode()}.{pick(_B64URL, 43)}"

    makers: tuple[Callable[[], str], ...] = (
        lambda: "AKIA" + pick(_B32, 16),
        lambda: "ghp_" + pick(_ALNUM, 36),
        lambda: "github_pat_" + pick(_ALNUM, 22) + "_" + pick(_ALNUM, 59),
        lambda: "sk-proj-" + strong(48),
        lambda: "sk-" + strong(48),
        lambda: f"xoxb-{pick(string.digits, 12)}-{pick(string.digits, 13)}-{pick(_ALNUM, 24)}",
        lambda: "AIza" + pick(_B64URL, 35),
        lambda: "sk_live_" + pick(_ALNUM, 24),
        lambda: "AccountKey=" + pick(_ALNUM + "+/", 86) + "==",
        jwt,
        lambda: f"sg-{pick('0123456789abcdef', 12)}-{pick(_B64URL, 43)}",
        lambda: f"postgres://app:{strong(16)}@db.internal:5432/main",
        lambda: "password=" + strong(14),
    )
    return rng.choice(makers)()


def secret_lookalike(rng: random.Random) -> str:
    return rng.choice(
        (
            "sk-learn-compatible-estimators-and-pipelines",
            "the AKIA prefix marks AWS access keys",
            "ghp_ tokens are GitHub personal tokens",
            "password: ********",
            "password=<your password>",
            "postgres://user:password@localhost/db",
            "Bearer <token>",
            "AccountKey=<key>",
            "eyJhbGciOi is how a JWT header starts",
            "sg-key-rotation-policy",
            f"commit {''.join(rng.choice('0123456789abcdef') for _ in range(40))}",
            f"sha256:{''.join(rng.choice('0123456789abcdef') for _ in range(64))}",
        )
    )


def lookalike(rng: random.Random) -> str:
    year = rng.randint(1990, 2030)
    return rng.choice(
        (
            f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}",
            f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{year}",
            f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z",
            f"version {rng.randint(0, 20)}.{rng.randint(0, 40)}.{rng.randint(0, 200)}",
            f"v{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}.{rng.randint(0, 999)}",
            f"10.0.{rng.randint(10000, 22631)}.{rng.randint(1, 3000)}",
            f"order #{_digits(rng, 9)}",
            f"Order {_digits(rng, 16)}",
            f"invoice INV-{year}-{_digits(rng, 6)}",
            f"tracking number 1Z{_digits(rng, 16)}",
            f"ISBN 978-{rng.randint(0, 9)}-{_digits(rng, 3)}-{_digits(rng, 5)}-{rng.randint(0, 9)}",
            str(uuid.UUID(int=rng.getrandbits(128))),
            f"${rng.randint(1, 999)},{_digits(rng, 3)}.{_digits(rng, 2)}",
            f"{rng.randint(1, 999)},{_digits(rng, 3)},{_digits(rng, 3)} requests",
            f"timestamp {rng.randint(1_600_000_000_000, 1_800_000_000_000)}",
            f"epoch {rng.randint(1_600_000_000, 1_800_000_000)}",
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
            f"pi is 3.{_digits(rng, 14)}",
            f"coordinates {rng.uniform(-90, 90):.6f}, {rng.uniform(-180, 180):.6f}",
            f"ZIP {_digits(rng, 5)}-{_digits(rng, 4)}",
            f"arXiv:{rng.randint(2001, 2412)}.{_digits(rng, 5)}",
            f"build {year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}.{rng.randint(1, 9)}",
            f"MAC 00:1A:{rng.randint(16, 255):02X}:{rng.randint(16, 255):02X}:3C:4D",
            f"std::vector<int> and a::b, ratio 16:9 at {rng.randint(0, 23)}:{rng.randint(10, 59)}",
            f"SKU {_digits(rng, 2)}-{_digits(rng, 3)}-{_digits(rng, 4)}",
            f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(256, 999)}",
            f"part no. {_digits(rng, 4)} {_digits(rng, 4)} {_digits(rng, 4)}",
        )
    )


def _contextual(rng: random.Random, count: int) -> list[Sample]:
    """Bare numbers that are PII only when named: reported with the name, not without."""
    out: list[Sample] = []
    for _ in range(count // 4):
        for label, value, named in (
            ("nl_bsn", bsn(rng), "Mijn BSN is {}."),
            ("us_ssn", ssn(rng).replace("-", ""), "SSN: {}"),
            ("phone", "4155552671", "Call me on {} after six."),
            ("in_aadhaar", aadhaar(rng).replace(" ", ""), "Aadhaar number {}"),
        ):
            at = named.index("{}")
            out.append(Sample(named.format(value), ((label, at, at + len(value)),)))
            out.append(Sample(f"Reference {value} was processed.", ()))
    for _ in range(count // 4):
        out.append(Sample(f"BSN {bsn(rng, valid=False)} is wrong.", ()))
    return out


_VALID: dict[str, Callable[[random.Random], str]] = {
    "email": email,
    "phone": phone,
    "credit_card": card,
    "iban": iban,
    "ip_address": ip_address,
    "us_ssn": ssn,
    "uk_nino": nino,
    "es_dni": dni,
    "fr_nir": nir,
    "in_aadhaar": aadhaar,
    "secret": secret,
}
_INVALID: tuple[Callable[[random.Random], str], ...] = (
    card_invalid,
    card_unknown_issuer,
    lambda rng: iban(rng, valid=False),
    ssn_invalid,
    nino_invalid,
    lambda rng: dni(rng, valid=False),
    lambda rng: nir(rng, valid=False),
    lambda rng: aadhaar(rng, valid=False),
    lambda rng: f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.1",
)
_LOOKALIKES: tuple[Callable[[random.Random], str], ...] = (lookalike,) * 12 + (
    secret_lookalike,
) * 4
