"""Recognisers of email addresses and IPv6 addresses.

Both hang on a character that ordinary prose rarely has ('@', and ':' between hex digits), so
they start from a fast search for it and read outwards instead of trying every position.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from sluicegate.safety.pii_numbers import Found, matches, windows

_DOMAIN = re.compile(r"@(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+([^\W\d_]{2,63})(?![\w\-@]|\.[^\W_])")
"""What follows the '@' of an address: dotted labels and a top-level domain of letters."""
_LOCAL_EXTRA = frozenset("._%+-'")
_LOCAL_MAX = 64
_FILE_SUFFIXES = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "css", "js", "ts", "json", "yaml", "yml",
     "txt", "pdf", "html", "htm", "xml", "csv", "lock", "toml", "ini", "cfg", "log"}
)  # fmt: skip
"""Top-level domains that are really file names ("icon@2x.png")."""

_V6_HINT = re.compile(r"::|:[0-9A-Fa-f]{1,4}:")
_V6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]{2,39}(?:\.\d{1,3}){0,3}(?![\w:]|\.\d)")


def find_emails(text: str) -> Iterator[Found]:
    if "@" not in text:
        return
    for match in _DOMAIN.finditer(text):
        if match.group(1).lower() in _FILE_SUFFIXES:
            continue
        start = _local_start(text, match.start())
        if start is not None:
            yield start, match.end()


def _local_start(text: str, at: int) -> int | None:
    """Where the local part before the '@' at `at` begins, or None when there is none."""
    start = at
    while start > 0 and at - start < _LOCAL_MAX:
        char = text[start - 1]
        if not (char.isalnum() or char in _LOCAL_EXTRA):
            break
        start -= 1
    else:
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] in _LOCAL_EXTRA):
            return None  # longer than any local part: not an address
    while start < at and text[start] in "._%+-'":
        start += 1
    if start == at or text[at - 1] == ".":
        return None
    if start and text[start - 1] in ":/" and not text.endswith("mailto:", 0, start):
        return None  # the user and password of a URL, not an address
    return start


def find_ipv6(text: str) -> Iterator[Found]:
    if ":" not in text:
        return
    for window in windows(text, _V6_HINT):
        for match in matches(_V6, text, window.start, window.end):
            candidate = match.group()
            if not _plausible_v6(candidate):
                continue
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            yield match.span()


def _plausible_v6(candidate: str) -> bool:
    """Has a digit, and is not a slice (`x[1::2]`) or a ratio: a few decimal-only groups."""
    if not any(char.isdigit() for char in candidate):
        return False
    groups = [group for group in candidate.split(":") if group]
    return len(groups) >= 4 or any(not group.isdigit() for group in groups)
