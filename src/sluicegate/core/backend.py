"""The way out of the process: anything that can answer an Exchange with a Reply."""

from __future__ import annotations

from typing import Protocol

from sluicegate.core.exchange import Exchange
from sluicegate.core.reply import Reply


class Backend(Protocol):
    """Sends a request upstream.

    Returns the upstream Reply whatever its status (the caller decides what a 429 means);
    raises `UpstreamConnectError`, `UpstreamTimeout` or `UpstreamProtocolError` when no reply
    came. Must never let a foreign exception escape.
    """

    @property
    def name(self) -> str: ...

    async def send(self, exchange: Exchange) -> Reply: ...

    async def close(self) -> None: ...
