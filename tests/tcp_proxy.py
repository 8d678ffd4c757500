"""A TCP proxy on 127.0.0.1 in front of one real server, whose link a test can cut and mend.

Put it between the gateway and Redis or PostgreSQL to make the server fail the way servers fail
in production, on real sockets:

- `refuse()`: the server is gone. Open connections are reset and new ones are refused
  (nothing listens on the port any more), as when the server process dies.
- `blackhole()`: the server hangs, or the network drops packets. Connections are still accepted,
  but no byte moves in either direction, so only the client's own timeout ends its wait.
- `restore()`: the server is back on the same port. Connections held by a blackhole are reset
  first (their clients gave up on them long ago), so nothing stale reaches the server.

Every method takes effect before it returns, so a test can act right after it without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum


class LinkState(enum.Enum):
    FORWARD = "forward"
    BLACKHOLE = "blackhole"
    REFUSE = "refuse"


class _Link:
    """One client connection and its connection to the server."""

    def __init__(self, client: asyncio.StreamWriter) -> None:
        self.client = client
        self.server: asyncio.StreamWriter | None = None

    def reset(self) -> None:
        for writer in (self.client, self.server):
            if writer is not None:
                writer.transport.abort()


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `upstream_host:upstream_port` while the link is up."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._listener: asyncio.Server | None = None
        self._port = 0
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.state = LinkState.FORWARD
        self.accepted = 0
        """Connections accepted since start, in any state."""

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the proxy is not started")
        return self._port

    async def start(self) -> int:
        """Listen on an ephemeral port of 127.0.0.1 and return it."""
        await self._listen()
        return self.port

    async def refuse(self) -> None:
        """Stop listening (new connections are refused) and reset every open connection."""
        self.state = LinkState.REFUSE
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        await self._reset_links()
        self._flowing.set()  # nothing is held any more
        if listener is not None:
            await listener.wait_closed()

    def blackhole(self) -> None:
        """Keep accepting connections, but move no byte on any of them, old or new."""
        if self.state is LinkState.REFUSE:
            raise RuntimeError("restore() the proxy before blackholing it")
        self.state = LinkState.BLACKHOLE
        self._flowing.clear()

    async def restore(self) -> None:
        """Forward again, on the same port; connections a blackhole held are reset."""
        if self.state is LinkState.BLACKHOLE:
            await self._reset_links()
        self.state = LinkState.FORWARD
        self._flowing.set()
        if self._listener is None:
            await self._listen()

    async def stop(self) -> None:
        await self.refuse()

    async def _listen(self) -> None:
        self._listener = await asyncio.start_server(
            self._serve, "127.0.0.1", self._port, reuse_address=True
        )
        self._port = self._listener.sockets[0].getsockname()[1]

    async def _reset_links(self) -> None:
        for link in list(self._links):
            link.reset()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        self.accepted += 1
        link = _Link(client)
        self._links.add(link)
        # The relay runs in a task of its own that a reset cancels: asyncio.start_server's
        # handler itself must not end cancelled (Python 3.11 then raises in a callback).
        relay = asyncio.create_task(self._relay(link, client_reader, client))
        self._tasks.add(relay)
        try:
            await asyncio.wait([relay])
        finally:
            self._links.discard(link)
            self._tasks.discard(relay)
            link.reset()

    async def _relay(
        self, link: _Link, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        await self._flowing.wait()
        if self.state is not LinkState.FORWARD:
            return
        try:
            server_reader, link.server = await asyncio.open_connection(*self._upstream)
        except OSError:
            return
        pumps = [
            asyncio.create_task(self._pump(client_reader, link.server)),
            asyncio.create_task(self._pump(server_reader, client)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while True:
                await self._flowing.wait()
                data = await source.read(65536)
                if not data:
                    return
                await self._flowing.wait()  # bytes read just before a blackhole are held
                sink.write(data)
                await sink.drain()
