"""Server-sent events as OpenAI streams them: `data: {...}\\n\\n` frames ending `data: [DONE]`.

The gateway forwards bytes as they arrive; this decoder only watches them go by, to read the
usage block and finish reasons, and to find frame boundaries when a frame must be dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

DONE = b"[DONE]"


class FrameSplitter:
    """Splits a byte stream into complete SSE events (the bytes up to a blank line).

    Accepts `\\n\\n`, `\\r\\n\\r\\n` and mixed separators, and chunks cut anywhere.
    """

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """Yield each complete event (with its terminating blank line) now available."""
        data = self._buffer + chunk if self._buffer else chunk
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")
            if data.endswith(b"\r"):
                self._buffer = data
                return
        start = 0
        while True:
            end = data.find(b"\n\n", start)
            if end < 0:
                break
            yield data[start : end + 2]
            start = end + 2
        self._buffer = data[start:]

    @property
    def pending(self) -> bytes:
        """Bytes received that do not yet form a complete event."""
        return self._buffer


def event_data(event: bytes) -> bytes | None:
    """The joined `data:` payload of one event, or None when it has no data field."""
    parts: list[bytes] = []
    for line in event.split(b"\n"):
        if line.startswith(b"data:"):
            value = line[5:]
            parts.append(value[1:] if value.startswith(b" ") else value)
    if not parts:
        return None
    return b"\n".join(parts)


def json_object(data: bytes) -> dict[str, Any] | None:
    """An event's data (or a whole reply body) as a JSON object; None for `[DONE]`, anything
    that is not JSON or not an object: what a backend sends is read, never trusted."""
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return payload if isinstance(payload, dict) else None


def encode_event(payload: bytes) -> bytes:
    """One `data:` event as OpenAI frames it."""
    return b"data: " + payload + b"\n\n"


DONE_EVENT = encode_event(DONE)
