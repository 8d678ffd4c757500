"""A fast token estimate for requests, good enough for admission and simulated usage.

About four characters per token for English text; exact counts come from the backend's usage.
"""

from __future__ import annotations

from typing import Any

_CHARS_PER_TOKEN = 4.0
_PER_MESSAGE_OVERHEAD = 4


def estimate_text_tokens(text: str) -> int:
    if not text:
        return 0
    return max(1, round(len(text) / _CHARS_PER_TOKEN))


def estimate_prompt_tokens(body: dict[str, Any]) -> int:
    """Estimate the prompt tokens of a chat, completion or embedding request body."""
    messages = body.get("messages")
    if isinstance(messages, list):
        total = 3
        for message in messages:
            if isinstance(message, dict):
                total += _PER_MESSAGE_OVERHEAD + _content_tokens(message.get("content"))
        return total
    for field in ("prompt", "input"):
        if field in body:
            return _content_tokens(body[field])
    return 0


def _content_tokens(content: Any) -> int:
    if isinstance(content, str):
        return estimate_text_tokens(content)
    if isinstance(content, list):
        total = 0
        for part in content:
            if isinstance(part, str):
                total += estimate_text_tokens(part)
            elif isinstance(part, dict):
                text = part.get("text")
                if isinstance(text, str):
                    total += estimate_text_tokens(text)
            elif isinstance(part, int):
                total += 1
            elif isinstance(part, list):
                total += len(part)
        return total
    return 0
