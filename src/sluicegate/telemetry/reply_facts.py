"""What a trace needs from a reply body: response id, model, finish reasons.

The gateway forwards bytes and never re-parses a reply for its own sake, so neither does
tracing: a few bounded regular expressions over the bytes as they pass. A JSON string holds
quotes only escaped (`\\"`), so `"finish_reason":"stop"` cannot match inside message content.
Chunks of a stream may split a key; the tail of the previous chunk is searched again, and a
match is counted only if it ends in the new chunk, so none is lost and none counted twice.
"""

from __future__ import annotations

import re

_ID = re.compile(rb'"id"\s{0,8}:\s{0,8}"([^"\\]{1,200})"')
_MODEL = re.compile(rb'"model"\s{0,8}:\s{0,8}"([^"\\]{1,200})"')
_FINISH = re.compile(rb'"finish_reason"\s{0,8}:\s{0,8}"([^"\\]{1,64})"')
_TAIL = 256
"""Longer than any match above, so a match split across two chunks is seen whole."""
_MAX_REASONS = 128


class ReplyFacts:
    """Facts gathered from a reply's body or its stream, chunk by chunk."""

    __slots__ = ("_tail", "finish_reasons", "model", "response_id")

    def __init__(self) -> None:
        self.response_id: str | None = None
        self.model: str | None = None
        self.finish_reasons: list[str] = []
        self._tail = b""

    def read_body(self, body: bytes) -> None:
        """A whole JSON reply; its first `id` and `model` are the top-level ones."""
        self._first_facts(body)
        self.finish_reasons = [_decode(m.group(1)) for m in _FINISH.finditer(body)][:_MAX_REASONS]

    def feed(self, chunk: bytes) -> None:
        """The next chunk of a streamed reply, as it passes to the client."""
        tail = self._tail
        window = tail + chunk if tail else chunk
        if self.response_id is None or self.model is None:
            self._first_facts(window)
        if b'"finish_reason"' in window:
            boundary = len(tail)
            for match in _FINISH.finditer(window):
                if match.end() > boundary and len(self.finish_reasons) < _MAX_REASONS:
                    self.finish_reasons.append(_decode(match.group(1)))
        self._tail = window[-_TAIL:]

    def _first_facts(self, data: bytes) -> None:
        if self.response_id is None:
            found = _ID.search(data)
            if found is not None:
                self.response_id = _decode(found.group(1))
        if self.model is None:
            found = _MODEL.search(data)
            if found is not None:
                self.model = _decode(found.group(1))


def _decode(value: bytes) -> str:
    return value.decode("utf-8", "replace")
