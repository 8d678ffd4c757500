"""Redaction: replacing what PII detection and blocklists found with a token.

`mask` writes the kind in capitals (`[EMAIL]`, `[CREDIT_CARD]`, `[SECRET]`, a blocklist's name).
`hash` adds a keyed BLAKE2b digest of the value (`[EMAIL:1a2b3c4d5e]`), so the same value maps to
the same token everywhere one deployment's salt is used, and a model or a log reader can still
tell two people apart, while nobody without the salt can confirm a guess by hashing candidate
values. With an empty salt the digest is unkeyed and a dictionary of likely values (every phone
number of a region) would reverse it, so deployments should set one.

Values are put in one canonical form before hashing (lower-case email, card and id numbers
without separators), so "4111 1111 1111 1111" and "4111-1111-1111-1111" share a token.
Overlapping spans are merged first and take the kind of the longest of them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Literal

from sluicegate.safety.verdict import Category, Span, Verdict

Mode = Literal["mask", "hash"]
REDACTED_CATEGORIES = frozenset({Category.PII, Category.BLOCKLIST})
DIGEST_BYTES = 5
"""40 bits, 10 hex digits: collisions among the values of one conversation are negligible and
the token stays short."""
_KEY_BYTES = 64
_NOT_TOKEN = re.compile(r"[^A-Z0-9_]+")
_SEPARATORS = re.compile(r"[ \-.()/]+")
_NUMBER_KINDS = frozenset(
    {"phone", "credit_card", "iban", "us_ssn", "uk_nino", "es_dni", "fr_nir", "nl_bsn",
     "in_aadhaar"}
)  # fmt: skip
_CASELESS_KINDS = frozenset({"email", "ip_address", "person_name", "street_address"})


def redact(
    text: str,
    verdict: Verdict,
    mode: Mode = "mask",
    *,
    salt: bytes = b"",
    categories: Iterable[Category] = REDACTED_CATEGORIES,
) -> str:
    """`text` with every span of the verdict's findings in `categories` replaced."""
    wanted = frozenset(categories)
    spans = [
        Span(span.start, span.end, span.label or finding.label)
        for finding in verdict.findings
        if finding.category in wanted
        for span in finding.spans
    ]
    return redact_spans(text, spans, mode, salt=salt)


def redact_spans(
    text: str, spans: Sequence[Span], mode: Mode = "mask", *, salt: bytes = b""
) -> str:
    """`text` with the given spans replaced; a span's label names the kind ("email",
    "secret/github_token": the part before '/' is the kind)."""
    if mode not in ("mask", "hash"):
        raise ValueError(f"redaction mode is 'mask' or 'hash', not {mode!r}")
    merged = merge(spans, len(text))
    if not merged:
        return text
    key = _key(salt) if mode == "hash" else b""
    pieces: list[str] = []
    position = 0
    for span in merged:
        pieces.append(text[position : span.start])
        kind = kind_of(span.label)
        if mode == "mask":
            pieces.append(f"[{kind}]")
        else:
            pieces.append(f"[{kind}:{_digest(text[span.start : span.end], span.label, key)}]")
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces)


def merge(spans: Iterable[Span], size: int) -> list[Span]:
    """Spans clipped to the text, overlapping ones merged, in order; a merged span keeps the
    label of its longest part (the first of equals)."""
    ordered = sorted(
        (
            Span(max(0, min(span.start, size)), max(0, min(span.end, size)), span.label)
            for span in spans
        ),
        key=lambda s: (s.start, -s.end),
    )
    merged: list[Span] = []
    longest: list[int] = []
    for span in ordered:
        if span.end <= span.start:
            continue
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            label = last.label
            if span.end - span.start > longest[-1]:
                label, longest[-1] = span.label, span.end - span.start
            merged[-1] = Span(last.start, max(last.end, span.end), label)
        else:
            merged.append(span)
            longest.append(span.end - span.start)
    return merged


def kind_of(label: str) -> str:
    """The token name for a label: the part before '/', in capitals, letters digits and '_'."""
    name = _NOT_TOKEN.sub("_", label.split("/", 1)[0].upper()).strip("_")
    return name or "REDACTED"


def digest(value: str, label: str = "", *, salt: bytes = b"") -> str:
    """The hex digest `hash` mode writes for a value of a kind, with a deployment's salt."""
    return _digest(value, label, _key(salt))


def _digest(value: str, label: str, key: bytes) -> str:
    canonical = canonical_value(value, label).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(canonical, digest_size=DIGEST_BYTES, key=key).hexdigest()


def canonical_value(value: str, label: str = "") -> str:
    kind = label.split("/", 1)[0].lower()
    if kind in _NUMBER_KINDS:
        return _SEPARATORS.sub("", value).upper()
    if kind in _CASELESS_KINDS:
        return value.lower()
    return value


def _key(salt: bytes) -> bytes:
    """BLAKE2b takes keys of up to 64 bytes; a longer salt is hashed down to one."""
    if not isinstance(salt, bytes | bytearray):
        raise TypeError("the redaction salt is bytes")
    if len(salt) <= _KEY_BYTES:
        return bytes(salt)
    return hashlib.blake2b(salt, digest_size=_KEY_BYTES).digest()
