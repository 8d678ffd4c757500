"""Sending replies over aiohttp: JSON bodies, paced event streams, and broken connections."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from aiohttp import web

from sluicegate.simulator.latency import Pacing
from sluicegate.simulator.payloads import Completion
from sluicegate.wire.errors import error_body

JSON = "application/json"
HANG_POLL_SECONDS = 0.1
"""How often a hanging request looks whether its client is still there."""


def json_reply(body: bytes, headers: Mapping[str, str], status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, headers=headers, content_type=JSON)


def error_reply(
    status: int,
    message: str,
    error_type: str,
    code: str | None,
    headers: Mapping[str, str],
    param: str | None = None,
) -> web.Response:
    return json_reply(error_body(message, error_type, code, param), headers, status)


def break_connection(request: web.Request) -> web.StreamResponse:
    """Close the connection now: the client sees it drop with no (further) reply bytes."""
    transport = request.transport
    if transport is not None:
        transport.close()
    return web.Response(status=500)


async def until_client_leaves(request: web.Request, stopping: asyncio.Event) -> None:
    """Wait, answering nothing, until the client disconnects or the server shuts down."""
    while True:
        transport = request.transport
        if transport is None or transport.is_closing() or stopping.is_set():
            return
        try:
            await asyncio.wait_for(stopping.wait(), HANG_POLL_SECONDS)
        except TimeoutError:
            continue
        return


def plan_frames(completion: Completion, pacing: Pacing) -> list[tuple[float, bytes]]:
    """Every frame of a stream with its time after the first token, `[DONE]` included."""
    frames: list[tuple[float, bytes]] = []
    opening = completion.opening_frame()
    if opening is not None:
        frames.append((0.0, opening))
    start = 0
    last = 0.0
    for offset, count in pacing.frames(len(completion.tokens)):
        frames.append((offset, completion.content_frame(start, count)))
        start += count
        last = offset
    frames.append((last, completion.closing_frames()))
    return frames


async def stream_reply(
    request: web.Request,
    headers: Mapping[str, str],
    frames: list[tuple[float, bytes]],
    drop_after: int | None = None,
) -> tuple[web.StreamResponse, bool]:
    """Send the frames on their schedule; after `drop_after` frames, break the connection.

    Frames that are due together leave in one write. Returns the response and whether every
    frame reached the socket.
    """
    response = web.StreamResponse(status=200, headers=headers)
    response.content_type = "text/event-stream"
    response.headers["Cache-Control"] = "no-cache"
    loop = asyncio.get_running_loop()
    try:
        await response.prepare(request)
        start = loop.time()
        pending = bytearray()
        for sent, (offset, frame) in enumerate(frames):
            if drop_after is not None and sent >= drop_after:
                break
            wait = start + offset - loop.time()
            if wait > 0:
                if pending:
                    await response.write(bytes(pending))
                    pending.clear()
                await asyncio.sleep(wait)
            pending += frame
        if pending:
            await response.write(bytes(pending))
        if drop_after is not None:
            break_connection(request)
            return response, False
        await response.write_eof()
    except ConnectionError:
        return response, False
    return response, True
