"""A reply stream made of given chunks, for policies that read or wrap one."""

from __future__ import annotations

from collections.abc import AsyncIterator


class Chunks:
    """A `ByteStream` that yields the given chunks in order and remembers being closed."""

    def __init__(self, *chunks: bytes) -> None:
        self._chunks = list(chunks)
        self.closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True
