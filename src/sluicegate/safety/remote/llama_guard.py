"""Llama Guard's conversation format and answers, and how its hazard codes become findings.

Llama Guard classifies the last turn of a user/assistant conversation that starts with the
user and alternates, and answers `safe` or `unsafe` followed by comma-separated hazard codes
(`unsafe\\nS1,S10`). Answers are read leniently (case, spacing, commas or spaces between
codes), but anything else is unreadable: a guard that cannot be understood has not checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

from sluicegate.config.safety_remote import GuardCategory
from sluicegate.safety.verdict import DETECTED, Category, Finding, Span

Role = Literal["user", "assistant"]

UNSPECIFIED = "unsafe"
"""The label of an `unsafe` answer that names no code."""

_ANSWER = re.compile(r"\s*(safe|unsafe)\b(.*)", re.IGNORECASE | re.DOTALL)
_SEPARATORS = re.compile(r"[\s,;]+")
_CODE = re.compile(r"[sS]([0-9]{1,2})")


class Unreadable(ValueError):
    """The answer is neither `safe` nor `unsafe` with hazard codes."""


def parse_answer(content: str) -> tuple[bool, tuple[str, ...]]:
    """(unsafe, codes): `(False, ())` for safe, `(True, ("S1", "S10"))` for unsafe S1,S10."""
    matched = _ANSWER.fullmatch(content)
    if matched is None:
        raise Unreadable("the answer does not start with 'safe' or 'unsafe'")
    unsafe = matched.group(1).lower() == "unsafe"
    tokens = [token for token in _SEPARATORS.split(matched.group(2)) if token]
    if not unsafe:
        if tokens:
            raise Unreadable("a 'safe' answer goes on after 'safe'")
        return False, ()
    codes: list[str] = []
    for token in tokens:
        code = _CODE.fullmatch(token)
        if code is None:
            raise Unreadable("an 'unsafe' answer holds something other than hazard codes")
        codes.append(f"S{int(code.group(1))}")
    return True, tuple(dict.fromkeys(codes))


def findings(
    codes: Sequence[str],
    mapping: Mapping[str, GuardCategory],
    span: Span,
    detector: str,
) -> tuple[Finding, ...]:
    """A finding per code: its mapped category and severity, or, for a code without a
    category, a `custom_blocklists` finding at DETECTED severity labelled with the code."""
    if not codes:
        return (
            Finding(
                Category.BLOCKLIST, DETECTED, spans=(span,), detector=detector, label=UNSPECIFIED
            ),
        )
    result: list[Finding] = []
    for code in codes:
        mapped = mapping.get(code)
        if mapped is not None and mapped.category is not None:
            category, severity = Category(mapped.category), mapped.severity
        else:
            category = Category.BLOCKLIST
            severity = mapped.severity if mapped is not None else DETECTED
        result.append(Finding(category, severity, spans=(span,), detector=detector, label=code))
    return tuple(result)


def conversation(
    text: str, role: Role, context: Sequence[Mapping[str, str]], max_context: int
) -> list[dict[str, str]]:
    """The messages to send so that `text`, in `role`, is the last turn Llama Guard judges.

    Context keeps its last `max_context` user and assistant turns (system and tool messages
    have no place in Llama Guard's template), runs of one role are joined, and a context turn
    in the checked role right before the text is dropped so it is not judged with it. The
    conversation starts with the user, with an empty turn when there is none.
    """
    turns: list[list[str]] = []
    recent = [
        message
        for message in context
        if message.get("role") in ("user", "assistant") and isinstance(message.get("content"), str)
    ]
    for message in recent[-max_context:] if max_context else []:
        if turns and turns[-1][0] == message["role"]:
            turns[-1][1] += "\n\n" + message["content"]
        else:
            turns.append([message["role"], message["content"]])
    if turns and turns[-1][0] == role:
        turns.pop()
    turns.append([role, text])
    while turns[0][0] == "assistant" and len(turns) > 1:
        turns.pop(0)
    if turns[0][0] == "assistant":
        turns.insert(0, ["user", ""])
    return [{"role": turn_role, "content": content} for turn_role, content in turns]
