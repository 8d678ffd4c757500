"""Time spent waiting on backends, told apart from the gateway's own work.

The gateway's overhead (its histogram, the request log's `overhead_ms`) is a request's duration
minus the time it waited on backends. For a streamed reply that wait goes on after the first
chunk: every later chunk is awaited from upstream too. Counting only the wait for the first
chunk would put the whole generation time of a stream into the overhead.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from sluicegate.core.clock import Clock
from sluicegate.core.exchange import Exchange
from sluicegate.core.reply import ByteStream, TransformedStream


class UpstreamTimedStream(TransformedStream):
    """Passes the backend's chunks on unchanged, adding the time spent awaiting each one to
    `exchange.upstream_seconds`. It wraps the backend's stream itself, under every policy's
    transform, so what the policies do with a chunk stays the gateway's own time."""

    __slots__ = ("_clock", "_exchange")

    def __init__(self, upstream: ByteStream, exchange: Exchange, clock: Clock) -> None:
        super().__init__(upstream)
        self._exchange = exchange
        self._clock = clock

    async def _run(self) -> AsyncGenerator[bytes, None]:
        now, exchange = self._clock.now, self._exchange
        chunks = aiter(self._upstream)
        while True:
            began = now()
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            finally:
                exchange.upstream_seconds += now() - began
            yield chunk
