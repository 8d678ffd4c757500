"""A stream's wait on its backend is upstream time, chunk after chunk; the gateway's own work
between chunks is not."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.exchanges import make_exchange

from sluicegate.core.clock import ManualClock
from sluicegate.server.upstream_time import UpstreamTimedStream


class SlowBackend:
    """Takes `gap` seconds (on the manual clock) to produce each chunk."""

    def __init__(self, clock: ManualClock, gap: float, *chunks: bytes, fail: bool = False) -> None:
        self.clock, self.gap, self.chunks, self.fail = clock, gap, chunks, fail
        self.closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.clock.advance(self.gap)
            yield chunk
        self.clock.advance(self.gap)
        if self.fail:
            raise ConnectionResetError("the backend went away")

    async def aclose(self) -> None:
        self.closed = True


async def test_each_wait_for_a_chunk_counts_and_the_time_between_reads_does_not() -> None:
    clock = ManualClock()
    exchange = make_exchange(stream=True)
    exchange.upstream_seconds = 0.5  # the wait for the reply's head, counted before
    stream = UpstreamTimedStream(SlowBackend(clock, 2.0, b"a", b"b", b"c"), exchange, clock)
    received = []
    async for chunk in stream:
        received.append(chunk)
        clock.advance(0.25)  # the gateway's own work on the chunk
    assert received == [b"a", b"b", b"c"]
    # three chunks and the end of the stream, 2 s each; the 3 × 0.25 s are the gateway's
    assert exchange.upstream_seconds == pytest.approx(0.5 + 4 * 2.0)


async def test_a_stream_that_fails_counts_its_last_wait_and_closes_its_backend() -> None:
    clock = ManualClock()
    exchange = make_exchange(stream=True)
    backend = SlowBackend(clock, 1.0, b"a", fail=True)
    stream = UpstreamTimedStream(backend, exchange, clock)

    async def read_all() -> None:
        async for _ in stream:
            clock.advance(0.1)

    with pytest.raises(ConnectionResetError):
        await read_all()
    await stream.aclose()
    assert exchange.upstream_seconds == pytest.approx(2.0)
    assert backend.closed
