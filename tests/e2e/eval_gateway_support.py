"""A gateway in a thread (with a simulated deployment behind it) for tests that run the
`sluicegate` command line as real processes against it: `eval run` sends its requests there,
and `prompts` and `datasets` write to the same SQLite database the gateway reads."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from tests.e2e.processes import serve_in_thread
from tests.e2e.support import MODEL, gateway_config, sim_deployment

from sluicegate.cli.first_keys import ensure_first_keys
from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.server.app import Gateway, create_gateway
from sluicegate.server.runner import Serving, start_serving
from sluicegate.simulator.server import SimulatorServer

T = TypeVar("T")
WORDS = 12
"""Every simulated answer has this many tokens (words), unless max_tokens cuts it short."""


class GatewayServer:
    """`create_gateway` served on the loop of the thread that starts it, with the first keys."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.gateway: Gateway | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.keys: dict[str, str] = {}
        self._serving: Serving | None = None

    async def start(self) -> str:
        self.loop = asyncio.get_running_loop()
        self.gateway = create_gateway(self.config)
        self._serving = await start_serving(self.gateway.app, "127.0.0.1", 0, grace=0.5)
        assert self.gateway.keys is not None
        first = await ensure_first_keys(self.gateway.keys)
        assert first is not None
        self.keys = {"admin": first.admin, "app": first.app}
        return self._serving.url

    async def stop(self) -> None:
        if self._serving is not None:
            await self._serving.stop()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the gateway's loop and wait for it."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(10)

    def reload_prompt_labels(self) -> None:
        """Make the gateway read every label now (as its background refresh would)."""
        assert self.gateway is not None
        assert self.gateway.prompts is not None
        self.run(self.gateway.prompts.changed())


@dataclass
class EvalGateway:
    url: str
    server: GatewayServer
    config_file: Path
    """The gateway's config as YAML, for the command line's `--config`."""
    database_url: str

    @property
    def keys(self) -> dict[str, str]:
        return self.server.keys


def simulator() -> SimulatorServer:
    deployment = sim_deployment("sim", completion={"mean_tokens": WORDS, "spread": 0})
    return SimulatorServer(
        SimulatorConfig.model_validate({"port": 0, "seed": 5, "deployments": [deployment]})
    )


@contextmanager
def eval_gateway(tmp_path: Path, **prompts: Any) -> Iterator[EvalGateway]:
    """A simulator and a gateway with authentication on its own SQLite database (safety
    checks off); `prompts` are the gateway's `prompts` settings."""
    with ExitStack() as stack:
        sim_url = stack.enter_context(serve_in_thread(simulator))
        deployment = sim_deployment("sim", completion={"mean_tokens": WORDS, "spread": 0})
        data = gateway_config(sim_url, [deployment]).model_dump(mode="json")
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
        data.update(auth={"enabled": True}, database_url=database_url, prompts=prompts)
        # These tests are about evaluations; the safety layer has its own.
        data["safety"] = {"default_profile": "off"}
        config = GatewayConfig.model_validate(data)
        config_file = tmp_path / "gateway.yaml"
        config_file.write_text(yaml.safe_dump(data))
        holder: list[GatewayServer] = []

        def make() -> GatewayServer:
            holder.append(GatewayServer(config))
            return holder[0]

        url = stack.enter_context(serve_in_thread(make))
        yield EvalGateway(url, holder[0], config_file, database_url)


__all__ = ["MODEL", "WORDS", "EvalGateway", "GatewayServer", "eval_gateway"]
