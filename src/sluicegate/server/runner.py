"""Run an aiohttp application until SIGTERM/SIGINT, then shut down gracefully.

On a signal the listening socket closes at once; in-flight requests and streams may finish
for up to `grace` seconds; then the remaining ones are cancelled and the process exits 0.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web


class Serving:
    """A started server; `url` is where it listens (the real port when 0 was asked for)."""

    def __init__(self, runner: web.AppRunner, url: str) -> None:
        self._runner = runner
        self.url = url

    async def stop(self) -> None:
        await self._runner.cleanup()


async def start_serving(
    app: web.Application, host: str, port: int, *, grace: float = 30.0
) -> Serving:
    runner = web.AppRunner(
        app,
        access_log=None,
        handle_signals=False,
        handler_cancellation=True,
        shutdown_timeout=aiohttp_shutdown_timeout(grace),
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=2048, reuse_address=True)
    try:
        await site.start()
    except BaseException:
        # setup() ran the startup hooks, which started background work (the ledger writer, the
        # pollers, the purger). Stop it in order now: left running, the loop's teardown would
        # cancel it mid-transaction and print the traceback over the caller's clear error.
        await runner.cleanup()
        raise
    bound_host, bound_port = runner.addresses[0][:2]
    shown = bound_host if ":" not in bound_host else f"[{bound_host}]"
    return Serving(runner, f"http://{shown}:{bound_port}")


def aiohttp_shutdown_timeout(grace: float) -> float:
    """aiohttp waits its shutdown timeout twice for a busy connection (once for the handler to
    finish, once more after interrupting the request body, which a streaming handler never
    notices) before it cancels the handler, and treats 0 as "no limit". Half of a positive grace
    keeps the total within `grace`."""
    return max(grace, 0.001) / 2


async def wait_for_signal() -> None:
    """Return when SIGTERM or SIGINT arrives."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `main` on uvloop when it is installed, else on asyncio's default loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux and macOS
        asyncio.run(main())
        return
    uvloop.run(main())
