"""Relay a streamed reply to the client as it arrives, watching it for the usage block.

Chunks are written as they come (no re-chunking, no buffering). Only when the gateway asked
upstream for a usage chunk the client did not want does it hold bytes back to a frame
boundary, so that one frame can be dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from sluicegate.core.errors import GatewayError, UpstreamError
from sluicegate.core.exchange import Exchange, Usage
from sluicegate.core.reply import ByteStream
from sluicegate.wire.errors import error_body
from sluicegate.wire.sse import DONE, DONE_EVENT, FrameSplitter, encode_event, event_data

_USAGE_KEY = b'"usage"'
_MAX_PENDING = 1 << 20
"""A stream that never closes a frame is passed on, but not watched past this many bytes."""


async def relay_stream(
    response: web.StreamResponse,
    stream: ByteStream,
    exchange: Exchange,
    before_done: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Copy `stream` to `response`; record usage on the exchange.

    `before_done` runs just before the final `data: [DONE]` frame goes out (when upstream sends
    it whole at the end of a chunk), so what must be settled before the client has the whole
    reply — the usage record — is settled first.

    A failure upstream after the first byte cannot change the status any more: the client gets
    an SSE error event (which the openai SDK raises as an APIError) and the stream ends.
    """
    splitter = FrameSplitter()
    strip = exchange.strip_usage_chunk
    try:
        async for chunk in stream:
            if strip:
                kept = [frame for frame in splitter.feed(chunk) if _keep(frame, exchange)]
                out = b"".join(kept)
            else:
                out = chunk
                for frame in splitter.feed(chunk):
                    _keep(frame, exchange)
                if len(splitter.pending) > _MAX_PENDING:
                    splitter = FrameSplitter()
            if before_done is not None and out.endswith(DONE_EVENT):
                if len(out) > len(DONE_EVENT):
                    await response.write(out[: -len(DONE_EVENT)])
                await before_done()
                out = DONE_EVENT
            if out:
                await response.write(out)
        if strip and splitter.pending:
            await response.write(splitter.pending)
    except UpstreamError as error:
        exchange.status = error.status
        await response.write(error_event(error))


def _keep(frame: bytes, exchange: Exchange) -> bool:
    """Record usage from `frame`; False when the frame is the usage chunk to drop."""
    if _USAGE_KEY not in frame:
        return True
    data = event_data(frame)
    if data is None or data == DONE:
        return True
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        return True
    if not isinstance(payload, dict):
        return True
    usage = read_usage(payload)
    if usage is None:
        return True
    exchange.usage = usage
    choices = payload.get("choices")
    return not (exchange.strip_usage_chunk and not choices)


def read_usage(payload: dict[str, Any]) -> Usage | None:
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        return None
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens", 0)
    total = usage.get("total_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total if isinstance(total, int) else prompt + completion,
        cached_tokens=min(cached, prompt) if isinstance(cached, int) and cached > 0 else 0,
    )


def usage_from_body(body: bytes) -> Usage | None:
    """Usage of a non-streamed JSON reply, parsed only when the body mentions it."""
    if _USAGE_KEY not in body:
        return None
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return read_usage(payload) if isinstance(payload, dict) else None


def error_event(error: GatewayError) -> bytes:
    """An SSE event carrying an OpenAI error, for failures after the stream started."""
    return encode_event(error_body(error.message, error.error_type, error.code))
