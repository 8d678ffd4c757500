"""The usage ledger through the gateway: one record per accepted request, none lost on SIGKILL."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from tests.e2e.processes import serve_in_thread, sluicegate
from tests.e2e.support import MODEL, gateway_config, sim_deployment

from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.server.app import create_gateway
from sluicegate.server.runner import start_serving
from sluicegate.simulator.server import SimulatorServer
from sluicegate.stores.sql import SqlStores

pytestmark = pytest.mark.e2e

CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}


def database(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"


async def records(url: str, request_ids: list[str]) -> dict[str, Any]:
    stores = SqlStores.create(url)
    try:
        found = {rid: await stores.ledger.get(rid) for rid in request_ids}
        return {"count": await stores.ledger.count(), "found": found}
    finally:
        await stores.close()


async def test_one_record_per_accepted_request(tmp_path: Path) -> None:
    deployments = [sim_deployment("ok"), sim_deployment("broken", faults={"error_rate": 1.0})]
    async with SimulatorServer(
        SimulatorConfig.model_validate({"port": 0, "deployments": deployments})
    ) as simulator_url:
        data = gateway_config(simulator_url, deployments).model_dump(mode="python")
        data["ledger"] = {"enabled": True}
        data["database_url"] = database(tmp_path)
        gateway = create_gateway(GatewayConfig.model_validate(data))
        serving = await start_serving(gateway.app, "127.0.0.1", 0, grace=1.0)
        ids: dict[str, str] = {}
        async with aiohttp.ClientSession() as http:
            url = f"{serving.url}/v1/chat/completions"
            for name, body in {
                "plain": CHAT,
                "stream": {**CHAT, "stream": True},
                "unknown": {**CHAT, "model": "nope"},
                "malformed": {"model": MODEL},
            }.items():
                async with http.post(url, json=body) as response:
                    await response.read()
                    ids[name] = response.headers["x-request-id"]
            async with http.post(url, json=CHAT, headers={"x-sim-status": "500"}) as response:
                assert response.status == 502
                ids["failed"] = response.headers["x-request-id"]
        await serving.stop()  # stops the writer, which writes what is spooled
    result = await records(database(tmp_path), list(ids.values()))
    found = result["found"]
    assert result["count"] == 3
    plain, stream, failed = found[ids["plain"]], found[ids["stream"]], found[ids["failed"]]
    assert found[ids["unknown"]] is None
    assert found[ids["malformed"]] is None
    assert (plain.status, plain.backend, plain.model) == (200, "ok", MODEL)
    assert plain.deployment == "ok"
    assert plain.prompt_tokens > 0
    assert 0 < plain.completion_tokens <= 5
    assert stream.status == 200
    assert stream.completion_tokens > 0  # usage read from the stream
    assert stream.ttft_ms is not None
    assert failed.status == 502
    assert failed.attempts == 2


async def test_sigkill_mid_load_loses_no_record_of_a_received_reply(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    simulator = SimulatorConfig.model_validate(
        {
            "port": 0,
            "deployments": [{"name": "sim", "model": MODEL, "latency": {"ttft_ms": 2}}],
        }
    )
    received: list[str] = []
    with ExitStack() as stack:
        simulator_url = stack.enter_context(serve_in_thread(lambda: SimulatorServer(simulator)))
        settings = {
            "server": {"host": "127.0.0.1", "port": 0},
            "backends": [{"name": "sim", "url": f"{simulator_url}/v1"}],
            "pools": {"p": {"members": [{"backend": "sim"}]}},
            "models": {MODEL: {"pool": "p"}},
            "auth": {"enabled": False},
            "database_url": database(tmp_path),
            # A long batch interval: most records are still in the spool at the kill.
            "ledger": {"flush_interval_seconds": 30, "batch_size": 100_000},
        }
        config.write_text(json.dumps(settings))
        with sluicegate("serve", "--config", str(config), cwd=tmp_path) as gateway:
            url = gateway.wait_for_banner()
            stop_at = time.monotonic() + 1.5

            async def client(http: aiohttp.ClientSession, stream: bool) -> None:
                while time.monotonic() < stop_at:
                    body = {**CHAT, "stream": stream}
                    try:
                        async with http.post(f"{url}/v1/chat/completions", json=body) as r:
                            payload = await r.read()
                    except aiohttp.ClientError:
                        return
                    if r.status == 200 and (not stream or payload.endswith(b"[DONE]\n\n")):
                        received.append(r.headers["x-request-id"])

            async def kill_midway() -> None:
                await asyncio.sleep(1.0)  # let load build up, then pull the plug mid-flight
                gateway.popen.send_signal(signal.SIGKILL)

            async with aiohttp.ClientSession() as http:
                await asyncio.gather(
                    *(client(http, stream=i % 2 == 1) for i in range(8)), kill_midway()
                )
            assert gateway.wait(10) == -signal.SIGKILL
        assert len(received) > 50
        before = await records(database(tmp_path), [])
        assert before["count"] < len(received)  # the kill left records only in the spool
        config.write_text(json.dumps({**settings, "ledger": {"flush_interval_seconds": 0.2}}))
        with sluicegate("serve", "--config", str(config), cwd=tmp_path) as restarted:
            restarted.wait_for_banner()
            deadline = time.monotonic() + 15
            while True:
                result = await records(database(tmp_path), received)
                missing = [rid for rid, record in result["found"].items() if record is None]
                if not missing or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)  # polling the database for the replay, bounded
    assert missing == []
    assert result["count"] >= len(received)
