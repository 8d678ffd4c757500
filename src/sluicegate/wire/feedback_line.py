"""A line of `sluicegate feedback export` as an evaluation dataset item.

The export holds what was sent upstream (the rendered messages), not the variables a prompt was
rendered from, so the item has one input, `input`: the text of the last user message. A prompt
that evaluates rated traffic declares that one input and puts it where the user's words go.

- `id`: the rated request's `request_id`.
- `expected`: the rater's `correction` when there is one; else, for a positive rating, the
  answer the user was given (a reply users liked is a reference); else none.
- `metadata`: `source: feedback`, the rating (`sentiment`, `thumbs`, `score`, `label`,
  `comment`), `model`, `prompt_version`, the original `answer` and the captured `messages`.

A rating whose request was not captured (`input` is null) or was cut short by
`capture.max_chars` (`input` is text, not a request body) cannot be replayed: it is skipped, and
the reader says how many were.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluicegate.wire.dataset_item import DatasetItem, SkipItem

FEEDBACK_KEYS = frozenset({"request_id", "sentiment", "input", "output"})
"""Keys that mark a line as a feedback export (no plain dataset has all four by chance)."""

_RATING_FIELDS = ("sentiment", "thumbs", "score", "label", "comment", "model", "prompt_version")


def feedback_item(value: Mapping[str, Any]) -> DatasetItem:
    """The item for one exported rating; raises `SkipItem` or `ValueError`."""
    request_id = value.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        raise ValueError('a feedback line needs its "request_id" as text')
    captured = value.get("input")
    if captured is None:
        raise SkipItem("the rated request was not captured (input is null)")
    if not isinstance(captured, dict):
        raise SkipItem("the captured request was cut short by capture.max_chars")
    messages = captured.get("messages")
    if not isinstance(messages, list):
        raise SkipItem("the captured request has no messages")
    question = last_user_text(messages)
    if question is None:
        raise SkipItem("the captured request has no user message")
    answer = reply_text(value.get("output"))
    correction = value.get("correction")
    expected: str | None = None
    if isinstance(correction, str) and correction.strip():
        expected = correction
    elif value.get("sentiment") == "positive" and answer is not None:
        expected = answer
    metadata: dict[str, Any] = {"source": "feedback"}
    metadata.update({name: value.get(name) for name in _RATING_FIELDS})
    metadata["answer"] = answer
    metadata["messages"] = messages
    return DatasetItem(request_id, {"input": question}, expected, metadata)


def last_user_text(messages: list[Any]) -> str | None:
    """The text of the last `user` message (text parts joined), or None."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"))
    return None


def content_text(content: Any) -> str | None:
    """A message's content as text: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
        return "\n".join(parts) if parts else None
    return None


def reply_text(output: Any) -> str | None:
    """The first choice's text of a captured reply (`{"choices": [...]}`), or None."""
    if not isinstance(output, dict):
        return None
    choices = output.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    if isinstance(message, dict):
        return content_text(message.get("content"))
    text = choices[0].get("text")
    return text if isinstance(text, str) else None
