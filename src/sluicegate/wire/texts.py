"""The texts of a request that safety detectors read, and where each one sits in the body.

A chat request mixes text of different trust: the developer's system message, the user's
prompt, earlier turns, and *documents* — tool and function results, and anything the client
wraps in `<documents>…</documents>` (Azure OpenAI's document convention). Prompt shields read
user prompts; the document shield reads documents; nothing reads the system message outside
its document blocks or the assistant's own earlier turns. Each piece keeps its place in the
body (a path and an offset) so that redaction can rewrite exactly that text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sluicegate.wire.endpoints import Endpoint

Path = tuple[str | int, ...]
_DOCUMENTS = re.compile(r"<documents>(.*?)(?:</documents>|\Z)", re.DOTALL | re.IGNORECASE)
_DOCUMENT_ROLES = frozenset({"tool", "function"})
MAX_PARTS = 10_000
"""Content arrays longer than this are read only this far (the backend will refuse them)."""


class TextKind(StrEnum):
    PROMPT = "prompt"
    """Written by the user: prompt shield, harm categories, PII, blocklists."""
    DOCUMENT = "document"
    """Data the model reads, not instructions: the document shield, harm, PII, blocklists."""
    INPUT = "input"
    """Text to embed: PII and blocklists only (it is never followed as instructions)."""


@dataclass(frozen=True, slots=True)
class TextRef:
    """One piece of text: `body[path...][offset:offset + len(text)] == text`."""

    kind: TextKind
    path: Path
    offset: int
    text: str
    message: int | None = None
    """The index of the chat message it came from (`prompt_index` in annotations)."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace `body[path...][start:end]` with `replacement`."""

    path: Path
    start: int
    end: int
    replacement: str


def request_texts(endpoint: Endpoint, body: dict[str, Any], *, all_user: bool) -> list[TextRef]:
    """Every text a detector should read, by kind. Never raises on odd shapes: what is not
    text (images, token arrays, unexpected types) is skipped."""
    if endpoint is Endpoint.CHAT:
        return list(_chat_texts(body.get("messages"), all_user=all_user))
    if endpoint is Endpoint.COMPLETIONS:
        return list(_strings(body.get("prompt"), ("prompt",), TextKind.PROMPT, split=True))
    return list(_strings(body.get("input"), ("input",), TextKind.INPUT, split=False))


def _chat_texts(messages: object, *, all_user: bool) -> Iterator[TextRef]:
    if not isinstance(messages, list):
        return
    last_user = max(
        (i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "user"),
        default=-1,
    )
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        recent = index >= last_user
        path: Path = ("messages", index, "content")
        if role in _DOCUMENT_ROLES:
            if recent or all_user:
                for piece in _contents(message.get("content"), path):
                    yield TextRef(TextKind.DOCUMENT, piece[0], 0, piece[1], index)
        elif role == "user" and (index == last_user or all_user):
            for where, text in _contents(message.get("content"), path):
                yield from _split_documents(where, text, index, TextKind.PROMPT)
        elif role in ("system", "developer"):
            for where, text in _contents(message.get("content"), path):
                yield from _documents_only(where, text, index)


def _contents(content: object, path: Path) -> Iterator[tuple[Path, str]]:
    """The strings of a message's `content`: a string, or the `text` of its text parts."""
    if isinstance(content, str):
        if content:
            yield path, content
        return
    if not isinstance(content, list):
        return
    for position, part in enumerate(content[:MAX_PARTS]):
        if isinstance(part, dict) and part.get("type") in ("text", "input_text"):
            text = part.get("text")
            if isinstance(text, str) and text:
                yield (*path, position, "text"), text


def _strings(value: object, path: Path, kind: TextKind, *, split: bool) -> Iterator[TextRef]:
    """A string or a list of strings (token arrays and other types are skipped)."""
    items: Sequence[tuple[Path, object]]
    if isinstance(value, str):
        items = [(path, value)]
    elif isinstance(value, list):
        items = [((*path, i), item) for i, item in enumerate(value[:MAX_PARTS])]
    else:
        return
    for where, item in items:
        if isinstance(item, str) and item:
            if split:
                yield from _split_documents(where, item, None, kind)
            else:
                yield TextRef(kind, where, 0, item)


def _split_documents(
    path: Path, text: str, message: int | None, kind: TextKind
) -> Iterator[TextRef]:
    """The text outside `<documents>` blocks as `kind`, each block's inside as a document."""
    if "<" not in text or not _DOCUMENTS.search(text):
        yield TextRef(kind, path, 0, text, message)
        return
    cursor = 0
    for block in _DOCUMENTS.finditer(text):
        if block.start() > cursor and text[cursor : block.start()].strip():
            yield TextRef(kind, path, cursor, text[cursor : block.start()], message)
        inside = block.group(1)
        if inside.strip():
            yield TextRef(TextKind.DOCUMENT, path, block.start(1), inside, message)
        cursor = block.end()
    if cursor < len(text) and text[cursor:].strip():
        yield TextRef(kind, path, cursor, text[cursor:], message)


def _documents_only(path: Path, text: str, message: int) -> Iterator[TextRef]:
    if "<" not in text:
        return
    for block in _DOCUMENTS.finditer(text):
        if block.group(1).strip():
            yield TextRef(TextKind.DOCUMENT, path, block.start(1), block.group(1), message)


def apply_edits(body: dict[str, Any], edits: Sequence[Edit]) -> dict[str, Any]:
    """A copy of `body` with every edit applied; the client's own body is left as it was.

    Edits to one string are applied from its end backwards so earlier offsets stay valid;
    overlapping edits are a caller's bug and raise ValueError.
    """
    by_path: dict[Path, list[Edit]] = {}
    for edit in edits:
        by_path.setdefault(edit.path, []).append(edit)
    result = _copy_along(body, by_path)
    for path, changes in by_path.items():
        parent: Any = result
        for step in path[:-1]:
            parent = parent[step]
        text = parent[path[-1]]
        if not isinstance(text, str):
            raise ValueError(f"no string at {path!r}")
        ordered = sorted(changes, key=lambda e: e.start, reverse=True)
        limit = len(text)
        for change in ordered:
            if not 0 <= change.start <= change.end <= limit:
                raise ValueError(f"edits overlap or fall outside the text at {path!r}")
            text = text[: change.start] + change.replacement + text[change.end :]
            limit = change.start
        parent[path[-1]] = text
    return result


def _copy_along(body: dict[str, Any], paths: dict[Path, list[Edit]]) -> dict[str, Any]:
    """Copy the containers on the edited paths (and only those), so the original stays intact."""
    root: dict[str, Any] = dict(body)
    for path in paths:
        node: Any = root
        for step in path[:-1]:
            child = node[step]
            copied: Any = dict(child) if isinstance(child, dict) else list(child)
            node[step] = copied
            node = copied
    return root


def last_user_prompt(body: dict[str, Any]) -> str:
    """The text of the latest user message (or a completions prompt): the turn a guard model
    judges a reply against."""
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return "".join(text for _, text in _contents(message.get("content"), ()))
        return ""
    prompt = body.get("prompt")
    return prompt if isinstance(prompt, str) else ""
