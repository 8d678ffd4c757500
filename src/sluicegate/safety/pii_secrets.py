"""Recognisers of credentials pasted into prompts: cloud and API keys, tokens, private keys.

Almost every kind starts with a fixed prefix its issuer chose so that scanners like this one can
find it (`AKIA`, `ghp_`, `sk-`, `xoxb-`, `AIza`, `eyJ`, `-----BEGIN`, `sg-`); patterns begin with
that literal, which the regex engine finds with a fast substring search. Where the value follows a
name (`AccountKey=`, `password=`, `Bearer`, `user:pass@` in a URL) only the value is the span, so
a redacted text still says what was there.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Labelled = tuple[int, int, str]
"""A span and the kind of secret in it."""

_TOKEN_END = r"(?![A-Za-z0-9_\-])"
_PLACEHOLDERS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "changeme", "example", "redacted", "none",
     "null", "true", "false", "required", "optional", "hidden", "string"}
)  # fmt: skip


def _mixed(value: str) -> bool:
    """Has letters and digits: random keys do, words and placeholders mostly do not."""
    return any(char.isdigit() for char in value) and any(char.isalpha() for char in value)


def _strong(value: str) -> bool:
    """Looks random: digits, upper and lower case letters all present."""
    return _mixed(value) and any(c.isupper() for c in value) and any(c.islower() for c in value)


def _not_placeholder(value: str) -> bool:
    lowered = value.lower().strip("\"'")
    if lowered in _PLACEHOLDERS or (lowered[:1] in "<{$%[*x" and len(set(lowered[1:-1])) <= 1):
        return False
    return not lowered.startswith(("<", "${", "{{", "%(", "$(", "***")) and len(set(lowered)) > 3


@dataclass(frozen=True, slots=True)
class _Kind:
    """One kind of secret: a pattern, the group holding the secret and a check of its value."""

    label: str
    pattern: re.Pattern[str]
    gate: tuple[str, ...] = ()
    group: int = 0
    check: Callable[[str], bool] | None = None
    preceded_by: tuple[str, ...] = ()

    def find(self, text: str) -> Iterator[Labelled]:
        if self.gate and not any(literal in text for literal in self.gate):
            return
        for match in self.pattern.finditer(text):
            if self.preceded_by and not _preceded(text, match.start(), self.preceded_by):
                continue
            value = match.group(self.group)
            if self.check is None or self.check(value):
                start, end = match.span(self.group)
                if self.preceded_by and self.group == 0:
                    start -= 1
                yield start, end, self.label


def _kind(
    label: str,
    pattern: str,
    *,
    gate: tuple[str, ...] = (),
    group: int = 0,
    check: Callable[[str], bool] | None = None,
    preceded_by: tuple[str, ...] = (),
) -> _Kind:
    return _Kind(label, re.compile(pattern), gate, group, check, preceded_by)


def _preceded(text: str, start: int, prefixes: tuple[str, ...]) -> bool:
    """`text[:start]` ends with one of `prefixes`, which itself starts a word."""
    for prefix in prefixes:
        begin = start - len(prefix)
        if begin >= 0 and text.startswith(prefix, begin):
            return begin == 0 or not text[begin - 1].isalnum()
    return False


_KINDS = (
    _kind("aws_access_key_id", r"A(?<![A-Za-z0-9]A)(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    _kind(
        "aws_secret_access_key",
        r"(?i:aws_?secret_?access_?key)[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        gate=("ecret", "ECRET"),
        group=1,
    ),
    _kind("github_token", r"gh(?<![A-Za-z0-9_]gh)[pousr]_[A-Za-z0-9]{36,251}" + _TOKEN_END),
    _kind(
        "github_token", r"github_pat_(?<![A-Za-z0-9_]github_pat_)[A-Za-z0-9_]{50,255}" + _TOKEN_END
    ),
    _kind(
        "openai_api_key",
        r"sk-(?<![A-Za-z0-9_\-]sk-)(?:proj-|svcacct-|admin-)?([A-Za-z0-9_\-]{20,200})" + _TOKEN_END,
        check=_strong,
    ),
    _kind(
        "slack_token",
        r"xox(?<![A-Za-z0-9_\-]xox)[abposr]-[A-Za-z0-9\-]{10,250}" + _TOKEN_END,
        check=_mixed,
    ),
    _kind(
        "slack_webhook",
        r"hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,}",
    ),
    _kind("google_api_key", r"AIza(?<![A-Za-z0-9_\-]AIza)[0-9A-Za-z_\-]{35}" + _TOKEN_END),
    _kind(
        "stripe_key",
        r"k_(?:live|test)_[0-9A-Za-z]{16,247}(?![0-9A-Za-z])",
        preceded_by=("s", "r"),
    ),
    _kind(
        "azure_storage_key",
        r"Key=([A-Za-z0-9+/]{40,100}={0,2})(?![A-Za-z0-9+/=])",
        group=1,
        preceded_by=("Account", "SharedAccess"),
    ),
    _kind(
        "jwt",
        r"eyJ(?<![A-Za-z0-9_\-]eyJ)[A-Za-z0-9_\-]{10,8000}+\.eyJ[A-Za-z0-9_\-]{10,8000}+"
        r"\.[A-Za-z0-9_\-]{0,8000}+" + _TOKEN_END,
    ),
    _kind(
        "sluicegate_key",
        r"sg-(?<![A-Za-z0-9_\-]sg-)[0-9a-f]{12}-[A-Za-z0-9_\-]{32,64}" + _TOKEN_END,
    ),
    _kind(
        "url_credentials",
        r"://[^\s:/@]{1,64}:([^\s/@]{1,128})@[\w\-]",
        group=1,
        check=_not_placeholder,
    ),
    _kind(
        "password",
        r"[Pp](?<![A-Za-z]\w)(?:ASSWORD|assword|ASSWD|asswd|WD|wd)[\"']?\s{0,3}[:=]\s{0,3}[\"']?"
        r"([^\s\"';,()\[\]{}]{7,127}[^\s\"';,()\[\]{}.!?:])(?![(\[])",
        gate=("assw", "ASSW", "pwd", "PWD"),
        group=1,
        check=lambda value: _mixed(value) and _not_placeholder(value),
    ),
    _kind(
        "bearer_token",
        r"[Bb](?<![A-Za-z].)earer\s{1,3}([A-Za-z0-9\-._~+/]{19,4095}[A-Za-z0-9\-_~+/]=*)"
        r"(?![A-Za-z0-9\-_~+/=]|\.[A-Za-z0-9])",
        gate=("earer",),
        group=1,
        check=_mixed,
    ),
)

_PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----")
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=\s:,\-]{0,20000}+")
_BASE64 = re.compile(r"[A-Za-z0-9+/=]")
_PEM_BODY_MIN = 20
"""A key has a body; markers alone (a parser's constants) are not a leaked key."""
_PEM_MAX = 20_000
"""Longer than any private key (an RSA-8192 key is about 6,400 characters of base64)."""


def find_private_keys(text: str) -> Iterator[Labelled]:
    """PEM private key blocks, from BEGIN to END, or to the end of the base64 if END is lost."""
    if "-----BEGIN" not in text:
        return
    found_ends = list(_PEM_END.finditer(text)) if "-----END" in text else []
    ends = [match.start() for match in found_ends]
    covered = 0
    for begin in _PEM_BEGIN.finditer(text):
        if begin.start() < covered:
            continue
        index = bisect.bisect_left(ends, begin.end())
        if index < len(ends) and found_ends[index].end() - begin.start() <= _PEM_MAX:
            body_end, end = ends[index], found_ends[index].end()
        else:
            body = _PEM_BODY.match(text, begin.end())
            end = body.end() if body else begin.end()
            while end > begin.end() and text[end - 1].isspace():
                end -= 1
            body_end = end
        covered = end
        if len(_BASE64.findall(text, begin.end(), body_end)) >= _PEM_BODY_MIN:
            yield begin.start(), end, "private_key"


def find_secrets(text: str) -> Iterator[Labelled]:
    """Every credential in `text`, each labelled with its kind."""
    for kind in _KINDS:
        yield from kind.find(text)
    yield from find_private_keys(text)
