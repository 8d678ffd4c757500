"""What a backend (or a policy answering early) gives back: a status, headers, and a body
that is either bytes or a stream of byte chunks."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Protocol


class ByteStream(Protocol):
    """An async iterator of body chunks that must be closed to release its connection."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class TransformedStream:
    """A `ByteStream` whose chunks `_run` (a generator reading `_upstream`) makes as the client
    reads them. Closing it closes the generator and then the upstream stream, so the upstream
    connection is released however the reading ended."""

    __slots__ = ("_generator", "_upstream")

    def __init__(self, upstream: ByteStream) -> None:
        self._upstream = upstream
        self._generator: AsyncGenerator[bytes, None] | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        if self._generator is None:
            self._generator = self._run()
        return self._generator

    async def aclose(self) -> None:
        if self._generator is not None:
            await self._generator.aclose()
        await self._upstream.aclose()

    def _run(self) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError


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
