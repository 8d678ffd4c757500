"""Start the gateway (and, for the embedded default, the simulator beside it) until a signal."""

from __future__ import annotations

import errno
import logging
import sys
from collections.abc import Callable

from sluicegate.cli.banner import banner
from sluicegate.cli.embedded import embedded_gateway_config, embedded_simulator_config
from sluicegate.cli.first_keys import ensure_first_keys
from sluicegate.config.settings import GatewayConfig
from sluicegate.server.app import create_gateway
from sluicegate.server.runner import run, start_serving, wait_for_signal
from sluicegate.simulator.server import SimulatorServer
from sluicegate.stores.sql import StoreError
from sluicegate.stores.sql.database import parse_url

log = logging.getLogger("sluicegate")


def serve_config(config: GatewayConfig) -> None:
    run(lambda: _serve(config))


def serve_embedded(host: str, port: int, adjust: Callable[[GatewayConfig], GatewayConfig]) -> None:
    """The embedded default; `adjust` applies the command line's changes to its config."""

    async def main() -> None:
        async with SimulatorServer(embedded_simulator_config()) as simulator_url:
            log.info("simulated deployments listening on %s", simulator_url)
            await _serve(adjust(embedded_gateway_config(simulator_url, host, port)))

    run(main)


async def _serve(config: GatewayConfig) -> None:
    try:
        parse_url(config.database_url)
    except ValueError as error:
        log.error("cannot use the database: %s", error)
        raise SystemExit(1) from None
    gateway = create_gateway(config)
    try:
        serving = await start_serving(
            gateway.app,
            config.server.host,
            config.server.port,
            grace=config.server.shutdown_grace_seconds,
        )
    except StoreError as error:
        log.error("cannot open the database: %s", error)
        raise SystemExit(1) from None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            log.error(
                "port %s on %s is already in use; pick another with --port",
                config.server.port,
                config.server.host,
            )
        else:
            log.error("cannot listen on %s:%s: %s", config.server.host, config.server.port, error)
        raise SystemExit(1) from None
    try:
        first_keys = await ensure_first_keys(gateway.keys) if gateway.keys is not None else None
    except StoreError as error:
        log.error("cannot create the first keys: %s", error)
        await serving.stop()
        raise SystemExit(1) from None
    print(banner(serving.url, config, first_keys), flush=True, file=sys.stdout)
    await wait_for_signal()
    log.info(
        "shutting down: no new connections; in-flight requests get up to %g s",
        config.server.shutdown_grace_seconds,
    )
    await serving.stop()
    log.info("stopped")
