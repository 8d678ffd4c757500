"""A streamed upstream reply body, passed on chunk by chunk as the backend sends it."""

from __future__ import annotations

import asyncio

import aiohttp

from sluicegate.backends.failures import mid_stream
from sluicegate.core.errors import UpstreamTimeout


class UpstreamStream:
    """Yields the already-received first chunk, then whatever arrives, as it arrives.

    No re-chunking and no buffering: each chunk is what the socket delivered. `aclose()`
    before the end closes the upstream connection (it cannot be reused mid-reply), which is
    how a client that went away cancels the backend's work. A normal end hands the connection
    back to the pool. A stream still running at the request's deadline is cut, so a stuck
    backend cannot hold a connection and a client forever.
    """

    __slots__ = ("_backend", "_done", "_expired", "_first", "_response", "_timer")

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        first: bytes,
        backend: str,
        expires_in: float,
    ) -> None:
        self._response = response
        self._first: bytes | None = first
        self._backend = backend
        self._done = False
        self._expired = False
        self._timer = asyncio.get_running_loop().call_later(max(0.0, expires_in), self._expire)

    def __aiter__(self) -> UpstreamStream:
        return self

    async def __anext__(self) -> bytes:
        first = self._first
        if first is not None:
            self._first = None
            return first
        if self._done:
            raise StopAsyncIteration
        try:
            chunk = await self._response.content.readany()
        except (aiohttp.ClientError, OSError):
            self._end(reusable=False)
            if self._expired:
                raise UpstreamTimeout(
                    f"backend '{self._backend}': stream still running at the request deadline"
                ) from None
            raise mid_stream(self._backend) from None
        if not chunk:
            self._end(reusable=True)
            raise StopAsyncIteration
        return chunk

    async def aclose(self) -> None:
        self._first = None
        if not self._done:
            self._end(reusable=False)

    def _expire(self) -> None:
        if not self._done:
            self._expired = True
            self._response.close()

    def _end(self, *, reusable: bool) -> None:
        self._done = True
        self._timer.cancel()
        if reusable:
            self._response.release()
        else:
            self._response.close()
