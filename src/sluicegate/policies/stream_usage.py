"""Ask upstream for the usage chunk of a stream the client did not ask it for.

Accounting needs real token counts for streamed replies too; OpenAI-compatible servers send
them only when `stream_options.include_usage` is set. The extra chunk is removed again before
it reaches a client that did not ask for it (see `Exchange.strip_usage_chunk`).
"""

from __future__ import annotations

from sluicegate.core.exchange import Exchange
from sluicegate.core.policy import Handler
from sluicegate.core.reply import Reply
from sluicegate.wire.endpoints import Endpoint


class RequestStreamUsage:
    """Policy: rewrite streamed chat and completion requests to include usage."""

    __slots__ = ()

    async def __call__(self, exchange: Exchange, call_next: Handler) -> Reply:
        if (
            exchange.stream
            and not exchange.include_usage
            and exchange.endpoint is not (Endpoint.EMBEDDINGS)
        ):
            body = dict(exchange.body)
            options = body.get("stream_options")
            merged = dict(options) if isinstance(options, dict) else {}
            merged["include_usage"] = True
            body["stream_options"] = merged
            exchange.rewrite(body)
            exchange.strip_usage_chunk = True
        return await call_next(exchange)
