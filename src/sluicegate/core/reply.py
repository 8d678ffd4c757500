"""What a backend (or a policy answering early) gives back: a status, headers, and a body
that is either bytes or a stream of byte chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol


class ByteStream(Protocol):
    """An async iterator of body chunks that must be closed to release its connection."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class Reply:
    """A reply on its way to the client.

    `headers` are the upstream headers worth passing on (already filtered of hop-by-hop and
    framing headers); the server adds its own. `stream` is set for streamed replies; its first
    chunk has already been received, so a reply with a stream is committed: the pool never
    retries past it.
    """

    __slots__ = ("backend", "body", "headers", "status", "stream")

    def __init__(
        self,
        status: int,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        stream: ByteStream | None = None,
        backend: str | None = None,
    ) -> None:
        self.status = status
        self.headers = headers if headers is not None else {}
        self.body = body
        self.stream = stream
        self.backend = backend

    async def release(self) -> None:
        """Close the stream, if any, without reading it."""
        if self.stream is not None:
            stream, self.stream = self.stream, None
            await stream.aclose()
