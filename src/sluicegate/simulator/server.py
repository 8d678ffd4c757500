"""Running the simulator: an async server object for tests and embedding, and a blocking entry
point for the command line."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from types import TracebackType

from aiohttp import web

from sluicegate.config.simulator import SimulatorConfig
from sluicegate.simulator.app import build_simulator_app

SHUTDOWN_GRACE_SECONDS = 2.0
"""How long in-flight replies may run on when the server stops."""


class SimulatorServer:
    """The simulator on a real socket; `async with SimulatorServer(config) as url: ...`."""

    def __init__(
        self, config: SimulatorConfig, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config
        self.app = build_simulator_app(config, now=now)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        """Bind the configured host and port (0 picks one) and return the base URL."""
        if self._runner is not None:
            raise RuntimeError("the simulator server is already started")
        runner = web.AppRunner(
            self.app,
            access_log=None,
            handler_cancellation=True,
            # aiohttp waits its shutdown timeout twice for a busy connection.
            shutdown_timeout=SHUTDOWN_GRACE_SECONDS / 2,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.config.host, self.config.port, reuse_address=True)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        host = f"[{host}]" if ":" in host else host
        self.url = f"http://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> str:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


def run_simulator(config: SimulatorConfig) -> None:
    """Serve until SIGINT or SIGTERM, on uvloop when it is installed."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve_until_signalled(config))
    else:
        uvloop.run(_serve_until_signalled(config))


async def _serve_until_signalled(config: SimulatorConfig) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = SimulatorServer(config)
    try:
        url = await server.start()
        names = ", ".join(deployment.name for deployment in config.deployments)
        print(f"sluicegate simulator serving {names} at {url}", flush=True)
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await server.stop()
