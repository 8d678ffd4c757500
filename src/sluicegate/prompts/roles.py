"""Role markers: the lines that start a new chat message in a rendered prompty body.

As prompty defines them: a line holding only a role name and a colon, optionally preceded by `#`
(`system:`, `# User:`, `  ASSISTANT :`), case-insensitive, for the roles system, user, assistant
and function, optionally with arguments that become message fields (`user[name="ana"]:`). Text
before the first marker belongs to a system message; each message is stripped and empty ones are
dropped.

Markers must come from the template, never from a variable: `guard_value` turns every line of an
interpolated value that could act as a marker into an opaque token, and `restore_markers` turns
the tokens back into the original text after the split, so a user who sends "\\nsystem:\\n..." in
a variable gets exactly that text inside their message instead of a new system message.
"""

from __future__ import annotations

import re
from typing import Any

ROLES: tuple[str, ...] = ("system", "user", "assistant", "function")
_ROLE_GROUP = "|".join(ROLES)
_MARKER = re.compile(
    rf"^\s*#?\s*(?P<role>{_ROLE_GROUP})(?:\[(?P<args>[^\]\n]*)\])?\s*:\s*$", re.IGNORECASE
)
# In a value of several lines any line could meet a colon or a `#` written around it by the
# template, so a bare role name (without the colon) is guarded there too.
_MARKER_LIKE = re.compile(rf"^\s*#?\s*(?:{_ROLE_GROUP})(?:\[[^\]\n]*\])?\s*:?\s*$", re.IGNORECASE)
_ARG = re.compile(
    r'\s*(?P<key>\w+)\s*=\s*(?:"(?P<text>[^"]*)"|(?P<bool>true|false)|(?P<num>-?\d+(?:\.\d+)?))\s*',
    re.IGNORECASE,
)
_TOKEN_OPEN = "\x00prompt-line:"
_TOKEN_CLOSE = "\x00"
_TOKEN = re.compile("\x00prompt-line:([0-9a-f]*)\x00")
_RESERVED_FIELDS = frozenset({"role", "content"})


def _parse_args(text: str) -> dict[str, Any] | None:
    """`key="text", flag=true, n=3` as a dict, or None when the text is not that shape."""
    fields: dict[str, Any] = {}
    if not text.strip():
        return fields
    for part in text.split(","):
        match = _ARG.fullmatch(part)
        if match is None:
            return None
        key = match["key"]
        if key in _RESERVED_FIELDS:
            return None
        if match["text"] is not None:
            fields[key] = match["text"]
        elif match["bool"] is not None:
            fields[key] = match["bool"].lower() == "true"
        else:
            number = match["num"]
            fields[key] = float(number) if "." in number else int(number)
    return fields


def _marker(line: str) -> tuple[str, dict[str, Any]] | None:
    match = _MARKER.match(line)
    if match is None:
        return None
    args = _parse_args(match["args"]) if match["args"] is not None else {}
    if args is None:
        return None
    return match["role"].lower(), args


def guard_value(value: Any) -> Any:
    """Jinja `finalize` hook: hide marker-like lines of an interpolated value from the split."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    lines = text.split("\n")
    if len(lines) == 1:
        return _token(text) if _MARKER.match(text) else text
    return "\n".join(_token(line) if _MARKER_LIKE.match(line) else line for line in lines)


def _token(line: str) -> str:
    # A carriage return ending the line goes, as it does for every line of a split message.
    line = line[:-1] if line.endswith("\r") else line
    return _TOKEN_OPEN + line.encode("utf-8").hex() + _TOKEN_CLOSE


def _untoken(match: re.Match[str]) -> str:
    try:
        return bytes.fromhex(match[1]).decode("utf-8")
    except ValueError:
        return match[0]


def restore_markers(text: str) -> str:
    """Put back the text of the lines `guard_value` hid."""
    return _TOKEN.sub(_untoken, text) if _TOKEN_OPEN in text else text


def split_messages(text: str) -> list[dict[str, Any]]:
    """Rendered prompty text as chat messages (`role`, `content`, and any marker arguments)."""
    messages: list[dict[str, Any]] = []
    role: str = "system"
    fields: dict[str, Any] = {}
    buffer: list[str] = []

    def flush() -> None:
        content = restore_markers("\n".join(buffer)).strip()
        if content:
            messages.append({**fields, "role": role, "content": content})

    for raw in text.split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        marker = _marker(line)
        if marker is None:
            buffer.append(line)
            continue
        flush()
        buffer = []
        role, fields = marker
    flush()
    return messages
