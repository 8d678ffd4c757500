"""Decoding for `normalize`: base64, hex, Morse and ROT13 runs read back into text.

Only long, valid decodes that read like language count (`printable`), and the work per text is
bounded, so a page of identifiers or a hostile megabyte costs little.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Callable, Iterator
from types import MappingProxyType

__all__ = ["MAX_DECODED_RUNS", "MIN_DECODED_CHARS", "decoded_runs", "printable"]

MAX_DECODED_RUNS = 16
"""Encoded runs decoded per text: enough for real payloads, bounded for hostile input."""
MIN_DECODED_CHARS = 8
"""A decode shorter than this is too short to carry an instruction and too easy to hit by chance."""


def printable(data: bytes) -> str:
    """`data` as text when it is valid UTF-8 and reads like language, else ""."""
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if len(decoded) < MIN_DECODED_CHARS:
        return ""
    printable = sum(1 for ch in decoded if ch.isprintable() or ch in "\n\t\r")
    letters = sum(1 for ch in decoded if ch.isalpha() or ch == " ")
    if printable < 0.95 * len(decoded) or letters < 0.6 * len(decoded):
        return ""
    return decoded


_BASE64_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
_BASE64_CLASSES = bytes(ord("a") if byte in _BASE64_BYTES else ord(" ") for byte in range(256))
_BASE64_HINT = b"a" * 16
"""Runs of 16+ base64 characters, found by mapping every base64 character to `a` (other bytes to
a space) and searching for 16 `a`s: Python's regex engine is slow on a pattern that starts with
a class as common as letters, while `bytes.translate` and `find` run at memory speed."""
MAX_DECODE_ATTEMPTS = 64
_HEX_SEPARATED = re.compile(r"(?:(?:\\x|0x|%)[0-9A-Fa-f]{2}[\s,]?){8,}")
_HEX_DIGITS = re.compile(r"[0-9A-Fa-f]+")
_MORSE_RUN = re.compile(r"[.-]{1,6}(?:(?: {1,3}| ?/ ?)[.-]{1,6}){5,}")
_MORSE = MappingProxyType(
    {
        ".-": "a", "-...": "b", "-.-.": "c", "-..": "d", ".": "e", "..-.": "f", "--.": "g",
        "....": "h", "..": "i", ".---": "j", "-.-": "k", ".-..": "l", "--": "m", "-.": "n",
        "---": "o", ".--.": "p", "--.-": "q", ".-.": "r", "...": "s", "-": "t", "..-": "u",
        "...-": "v", ".--": "w", "-..-": "x", "-.--": "y", "--..": "z", ".----": "1",
        "..---": "2", "...--": "3", "....-": "4", ".....": "5", "-....": "6", "--...": "7",
        "---..": "8", "----.": "9", "-----": "0",
    }
)  # fmt: skip
_ROT13_CUES = ("rot13", "rot-13", "rot 13", "caesar", "rotate each letter")


def _plausible_base64(run: str, body: str) -> bool:
    """Base64 of text mixes cases and (nearly always) has a digit, `+` or padding; words joined
    by hyphens, paths and identifiers do not, and are not worth a decode attempt."""
    if body.islower() or body.isupper():
        return False
    if ("-" in body or "_" in body) and ("+" in body or "/" in body):
        return False  # mixes the standard and the URL-safe alphabets
    return run != body or any(ch.isdigit() or ch == "+" for ch in body)


def _decode_base64_or_hex(run: str) -> str:
    body = run.rstrip("=")
    if len(body) % 2 == 0 and _HEX_DIGITS.fullmatch(body):
        decoded = printable(bytes.fromhex(body))
        if decoded:
            return decoded
    if len(body) % 4 == 1 or not _plausible_base64(run, body):
        return ""
    padded = body + "=" * (-len(body) % 4)
    altchars = b"-_" if ("-" in body or "_" in body) else None
    try:
        data = base64.b64decode(padded, altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        return ""
    return printable(data)


def _decode_hex_separated(run: str) -> str:
    digits = "".join(re.findall(r"[0-9A-Fa-f]{2}", run.replace("0x", " ").replace("\\x", " ")))
    return printable(bytes.fromhex(digits))


def _decode_morse(run: str) -> str:
    words = []
    for word in re.split(r" ?/ ?| {3}", run):
        letters = [_MORSE.get(code, "") for code in word.split()]
        if not all(letters):
            return ""
        words.append("".join(letters))
    decoded = " ".join(words)
    return decoded if len(decoded.replace(" ", "")) >= 4 else ""


def _encoded_runs(cleaned: str) -> Iterator[tuple[int, int]]:
    """Where runs of 16 or more base64 characters (plus `=` padding) sit in `cleaned`."""
    mapped = cleaned.encode("ascii", "replace").translate(_BASE64_CLASSES)  # 1 byte per char
    at = mapped.find(_BASE64_HINT)
    while at >= 0:
        start = mapped.rfind(b" ", 0, at) + 1
        end = mapped.find(b" ", at)
        end = len(mapped) if end < 0 else end
        padded = end
        while padded < len(cleaned) and padded - end < 2 and cleaned[padded] == "=":
            padded += 1
        yield start, padded
        at = mapped.find(_BASE64_HINT, end)


def _pattern_runs(pattern: re.Pattern[str]) -> Callable[[str], Iterator[tuple[int, int]]]:
    def runs(cleaned: str) -> Iterator[tuple[int, int]]:
        return (match.span() for match in pattern.finditer(cleaned))

    return runs


def _has_separated_hex(cleaned: str) -> bool:
    return "\\x" in cleaned or "0x" in cleaned or "%" in cleaned


def _has_morse(cleaned: str) -> bool:
    return (".- " in cleaned or "-. " in cleaned) and (" .-" in cleaned or " -." in cleaned)


_SPARSE_HINT = re.compile(r"\\x|0x|%|\.-|-\.")
"""One scan standing in for `_has_separated_hex` and `_has_morse` on ordinary text."""
_Finder = Callable[[str], Iterator[tuple[int, int]]]
_HEX_RUNS = _pattern_runs(_HEX_SEPARATED)
_MORSE_RUNS = _pattern_runs(_MORSE_RUN)


def decoded_runs(cleaned: str, casefolded: str) -> str:
    """`cleaned` with each encoded run replaced by what it decodes to (and rotated by 13 when
    `casefolded` asks for ROT13); "" when nothing decodes."""
    decoders: list[tuple[_Finder, Callable[[str], str]]] = [(_encoded_runs, _decode_base64_or_hex)]
    if _SPARSE_HINT.search(cleaned):
        if _has_separated_hex(cleaned):
            decoders.append((_HEX_RUNS, _decode_hex_separated))
        if _has_morse(cleaned):
            decoders.append((_MORSE_RUNS, _decode_morse))
    replacements: list[tuple[int, int, str]] = []
    for finder, decode in decoders:
        for attempt, (start, end) in enumerate(finder(cleaned)):
            if attempt >= MAX_DECODE_ATTEMPTS or len(replacements) >= MAX_DECODED_RUNS:
                break
            decoded = decode(cleaned[start:end])
            if decoded:
                replacements.append((start, end, decoded))
    out = cleaned
    if replacements:
        replacements.sort()
        parts: list[str] = []
        last = 0
        for start, end, decoded in replacements:
            if start < last:
                continue
            parts.extend((cleaned[last:start], " ", decoded, " "))
            last = end
        parts.append(cleaned[last:])
        out = "".join(parts)
    if ("rot" in casefolded or "caesar" in casefolded) and any(
        cue in casefolded for cue in _ROT13_CUES
    ):
        out = codecs.encode(out, "rot13")
    return "" if out is cleaned else out
