"""Spillover, a throttled PTU deployment and the usage ledger, seen from the outside: the
numbers `/metrics` reports and the JSON line each request leaves in the log must match what the
clients were told in their reply headers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from tests.e2e.support import MODEL, gateway_config, sim_deployment
from tests.e2e.test_metrics_endpoint import samples, scrape, value

from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.server.app import Gateway, create_gateway
from sluicegate.server.runner import start_serving
from sluicegate.simulator.server import SimulatorServer
from sluicegate.telemetry.request_log import REQUEST_LOGGER

pytestmark = pytest.mark.e2e

PTU_CAPACITY = 400
"""Tokens per minute: room for one small request, not for the large one that follows."""
PRICES = {"input_per_1m": 2.5, "output_per_1m": 10.0}


@dataclass
class Scenario:
    url: str
    gateway: Gateway


@pytest.fixture
async def scenario(tmp_path: Path) -> AsyncIterator[Scenario]:
    deployments = [
        sim_deployment("ptu-east", kind="ptu", capacity_tpm=PTU_CAPACITY),
        sim_deployment("paygo-west"),
    ]
    simulator = SimulatorServer(
        SimulatorConfig.model_validate({"port": 0, "deployments": deployments})
    )
    simulator_url = await simulator.start()
    data = gateway_config(simulator_url, deployments).model_dump(mode="python")
    data["ledger"] = {"enabled": True, "spool_dir": str(tmp_path / "spool")}
    data["database_url"] = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    data["pricing"] = {"models": {MODEL: PRICES}}
    built = create_gateway(GatewayConfig.model_validate(data))
    serving = await start_serving(built.app, "127.0.0.1", 0, grace=0.5)
    yield Scenario(serving.url, built)
    await serving.stop()
    await simulator.stop()


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    body: dict[str, Any]


async def chat(
    url: str, max_tokens: int, *, stream: bool = False, tokens_per_second: float | None = None
) -> Answer:
    request: dict[str, Any] = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Where does the overflow go?"}],
        "max_tokens": max_tokens,
    }
    if stream:
        request |= {"stream": True, "stream_options": {"include_usage": True}}
    headers = {"x-sim-completion-tokens": str(max_tokens)}
    if tokens_per_second is not None:
        headers["x-sim-tokens-per-second"] = str(tokens_per_second)
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/v1/chat/completions", json=request, headers=headers) as response,
    ):
        raw = await response.read()
        body = orjson.loads(raw) if not stream else {}
        return Answer(response.status, response.headers.copy(), body)


def request_lines(caplog: pytest.LogCaptureFixture) -> dict[str, dict[str, Any]]:
    lines = [orjson.loads(r.getMessage()) for r in caplog.records if r.name == REQUEST_LOGGER]
    return {line["request_id"]: line for line in lines}


async def test_spillover_throttling_and_the_ledger_in_metrics_and_the_log(
    scenario: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    small = await chat(scenario.url, 20)
    large = await chat(scenario.url, 600)
    streamed = await chat(scenario.url, 40, stream=True, tokens_per_second=100)
    missing = await chat(scenario.url, 0)  # max_tokens 0 is refused before any backend

    # What the clients were told: the PTU deployment served the small request and reported
    # its utilization; it refused the large one (429), which spilled to pay-as-you-go; the
    # streamed one went straight to pay-as-you-go while the PTU deployment cooled down.
    assert (small.status, small.headers["x-sluicegate-backend"]) == (200, "ptu-east")
    utilization = small.headers["azure-openai-deployment-utilization"]
    assert (large.status, large.headers["x-sluicegate-backend"]) == (200, "paygo-west")
    assert large.headers["x-sluicegate-attempts"] == "2"
    assert (streamed.status, streamed.headers["x-sluicegate-backend"]) == (200, "paygo-west")
    assert streamed.headers["x-sluicegate-attempts"] == "1"
    assert missing.status == 400

    assert scenario.gateway.ledger is not None
    assert await scenario.gateway.ledger.flush(timeout_s=10)
    status, text = await scrape(scenario.url, None)
    assert status == 200
    found = samples(text)
    assert value(found, "sluicegate_spillover_total", gen_ai_request_model=MODEL,
                 backend="paygo-west") == 2  # fmt: skip
    assert value(found, "sluicegate_upstream_failures_total", backend="ptu-east", status="429",
                 error="") == 1  # fmt: skip
    # Series known from the configuration exist before their first event, at zero.
    assert (
        "sluicegate_upstream_failures_total",
        frozenset({"backend": "paygo-west", "status": "429", "error": ""}.items()),
    ) in found
    assert ("sluicegate_refusals_total", frozenset({"code": "budget_exceeded"}.items())) in found
    assert value(found, "sluicegate_backend_ptu_utilization_ratio", backend="ptu-east") == (
        pytest.approx(float(utilization.removesuffix("%")) / 100)
    )
    ptu = {"pool": MODEL, "backend": "ptu-east", "kind": "ptu", "priority": "1"}
    paygo = {"pool": MODEL, "backend": "paygo-west", "kind": "paygo", "priority": "2"}
    assert value(found, "sluicegate_backend_up", **ptu) == 0
    assert value(found, "sluicegate_backend_cooldown_remaining_seconds", **ptu) > 0
    assert value(found, "sluicegate_backend_up", **paygo) == 1
    assert value(found, "sluicegate_backend_cooldown_remaining_seconds", **paygo) == 0
    chat_labels = {"gen_ai_operation_name": "chat", "gen_ai_request_model": MODEL}
    tpot = "gen_ai_server_time_per_output_token_seconds_count"
    assert value(found, tpot, **chat_labels, backend="paygo-west") == 1
    assert value(found, tpot, **chat_labels, backend="ptu-east") == 0  # not streamed
    # Three accepted requests reached the ledger; the refused one never entered it.
    assert value(found, "sluicegate_ledger_written_records_total") == 3
    assert value(found, "sluicegate_ledger_pending_records") == 0
    assert value(found, "sluicegate_ledger_write_lag_seconds") == 0

    lines = request_lines(caplog)
    first = lines[small.headers["x-request-id"]]
    assert first["backend"] == "ptu-east"
    assert first["deployment"] == "ptu-east"
    assert first["spillover"] is False
    assert first["attempts"] == []
    assert first["utilization"] == pytest.approx(float(utilization.removesuffix("%")) / 100)
    usage = small.body["usage"]
    assert (first["prompt_tokens"], first["completion_tokens"]) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )
    assert first["cost_usd"] == 0  # provisioned throughput is prepaid
    second = lines[large.headers["x-request-id"]]
    usage = large.body["usage"]
    expected_cost = (usage["prompt_tokens"] * 2.5 + usage["completion_tokens"] * 10.0) / 1e6
    assert second["cost_usd"] == pytest.approx(expected_cost)
    spent = value(found, "sluicegate_cost_usd_total", gen_ai_request_model=MODEL, team="anonymous")
    assert spent == pytest.approx(
        sum(line["cost_usd"] for line in lines.values() if line["cost_usd"])
    )
    assert second["spillover"] is True
    assert [(a["backend"], a["status"]) for a in second["attempts"]] == [("ptu-east", 429)]
    assert second["status"] == 200
    third = lines[streamed.headers["x-request-id"]]
    assert (third["stream"], third["spillover"], third["completion_tokens"]) == (True, True, 40)
    assert third["ttft_ms"] is not None
    assert third["ttft_ms"] <= third["latency_ms"]
    # The backend took about 39 / 100 s to produce the 40 tokens after the first (paced in
    # frames, so a little less): time the gateway waited on it, not the gateway's own overhead.
    assert third["latency_ms"] - third["ttft_ms"] >= 300
    assert third["overhead_ms"] <= third["latency_ms"] - 300
    refused = lines[missing.headers["x-request-id"]]
    assert (refused["status"], refused["error_type"]) == (400, "invalid_request_error")
    assert refused["backend"] is None
    for line in lines.values():
        assert line["overhead_ms"] <= line["latency_ms"]
