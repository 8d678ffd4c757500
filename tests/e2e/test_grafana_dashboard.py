"""The Grafana dashboard in `deploy/grafana/` against the metrics the gateway really exports:
every series a panel queries exists, every metric has a panel, and — with a real Prometheus
scraping a gateway under traffic — every panel's query is valid PromQL that returns data."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from tests.e2e.test_metrics_endpoint import scrape
from tests.e2e.test_observability_scenario import Scenario, chat, scenario

from sluicegate.telemetry.metrics import GatewayMetrics

__all__ = ["scenario"]  # the fixture, shared with the scenario test

pytestmark = pytest.mark.e2e

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "sluicegate-dashboard.json"
METRIC = re.compile(r"\b((?:gen_ai|sluicegate)_[a-z_]+)")
LABELS = re.compile(r"\{[^}]*\}|\b(?:by|without) \([^)]*\)")
"""Label matchers and groupings, removed before looking for metric names."""
SUFFIXES = ("_bucket", "_count", "_sum", "_total")
HOW_TO_ENABLE = (
    "Prometheus is not installed; `apt-get install prometheus` (Debian) puts it on the PATH "
    "and enables the test that evaluates every panel's query against a live scrape"
)
ALWAYS_EMPTY_HERE = {"Safety findings"}
"""Panels whose series exist but stay at zero in this scenario (no finding, no failure):
they must still evaluate without error."""


def panels() -> list[dict[str, Any]]:
    document = orjson.loads(DASHBOARD.read_bytes())
    return [panel for panel in document["panels"] if panel["type"] != "row"]


def expressions() -> dict[str, list[str]]:
    return {panel["title"]: [target["expr"] for target in panel["targets"]] for panel in panels()}


def family(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def exported_families(text: str) -> set[str]:
    return {
        line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ") and "_" in line
    }


def test_the_dashboard_queries_only_what_the_gateway_exports_and_shows_all_of_it() -> None:
    metrics = GatewayMetrics()
    metrics.watch_backends(list)
    metrics.watch_ledger(lambda: _no_lag())
    exported = {family(name) for name in exported_families(metrics.render().decode())}
    queried = {
        family(name)
        for exprs in expressions().values()
        for expr in exprs
        for name in METRIC.findall(LABELS.sub("", expr))
    }
    assert queried <= exported, (
        f"panels query series the gateway never exports: {queried - exported}"
    )
    shown_elsewhere = {"sluicegate_ledger_spool_bytes", "sluicegate_ledger_written_records",
                       "sluicegate_ledger_dropped_records"}  # fmt: skip
    missing = exported - queried - shown_elsewhere
    assert not missing, f"metrics without a panel: {missing}"
    ids = [panel["id"] for panel in panels()]
    assert len(ids) == len(set(ids))
    for panel in panels():
        assert panel["targets"], panel["title"]
        assert panel["gridPos"]["w"] > 0


def _no_lag() -> Any:
    from sluicegate.core.usage_sink import LedgerLag

    return LedgerLag(0, 0.0, 0, False, 0, 0, 0, 0, 0)


# --- a real Prometheus scraping a gateway under traffic --------------------------------------


def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{HOW_TO_ENABLE}; in CI this test must run.", pytrace=False)
        pytest.skip(HOW_TO_ENABLE)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Prometheus:
    def __init__(self, binary: str, target: str, home: Path) -> None:
        self.port = free_port()
        config = home / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: sluicegate\n"
            f"    static_configs: [{{targets: ['{target}']}}]\n"
        )
        self.log = (home / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready = False

    async def wait_ready(self, http: aiohttp.ClientSession, within: float = 30.0) -> None:
        """Poll (bounded) `/-/ready`: until its storage is open Prometheus answers 503."""
        deadline = time.monotonic() + within
        status: int | None = None
        while time.monotonic() < deadline:
            try:
                async with http.get(f"{self.url}/-/ready") as response:
                    status = response.status
                    if status == 200:
                        self.ready = True
                        return
            except aiohttp.ClientConnectionError:
                pass  # not listening yet
            await asyncio.sleep(0.2)  # a poll interval inside a bounded loop
        raise AssertionError(f"Prometheus never became ready; last status {status}")

    async def query(self, http: aiohttp.ClientSession, expr: str) -> dict[str, Any]:
        async with http.get(f"{self.url}/api/v1/query", params={"query": expr}) as response:
            answer: dict[str, Any] = await response.json(content_type=None)
            return answer

    async def wait_for(
        self, http: aiohttp.ClientSession, expr: str, expected: float, within: float = 30.0
    ) -> None:
        """Poll (bounded) until scrapes have brought `expr` to at least `expected`."""
        if not self.ready:
            await self.wait_ready(http)
        deadline = time.monotonic() + within
        last: Any = None
        while time.monotonic() < deadline:
            last = await self.query(http, expr)
            result = last.get("data", {}).get("result", [])
            if result and float(result[0]["value"][1]) >= expected:
                return
            await asyncio.sleep(0.2)  # a poll interval inside a bounded loop
        raise AssertionError(f"{expr} never reached {expected}; last answer {last}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.log.close()


@pytest.fixture
def prometheus_home(tmp_path: Path) -> Path:
    home = tmp_path / "prometheus"
    home.mkdir()
    return home


async def test_every_panel_evaluates_on_a_live_scrape(
    scenario: Scenario, prometheus_home: Path
) -> None:
    binary = prometheus_binary()
    assert (await scrape(scenario.url, None))[0] == 200
    prometheus = Prometheus(binary, scenario.url.removeprefix("http://"), prometheus_home)
    served = "sum(gen_ai_server_request_duration_seconds_count)"
    try:
        async with aiohttp.ClientSession() as http:
            await chat(scenario.url, 20)
            await prometheus.wait_for(http, served, 1)
            await chat(scenario.url, 600)  # the PTU deployment refuses it: spillover
            await chat(scenario.url, 40, stream=True)
            await chat(scenario.url, 0)  # refused by the gateway
            assert scenario.gateway.ledger is not None
            await scenario.gateway.ledger.flush(timeout_s=10)
            await prometheus.wait_for(http, served, 4)
            # rate() needs two samples of a series: one more scrape after the last new series
            # (the stream's time to first token; spillover and refusal series exist from the
            # start at zero)
            latest = "count_over_time(gen_ai_server_time_to_first_token_seconds_count[1m])"
            await prometheus.wait_for(http, latest, 2)
            empty: list[str] = []
            for title, exprs in expressions().items():
                for expr in exprs:
                    concrete = expr.replace("$__rate_interval", "1m").replace("$model", ".*")
                    answer = await prometheus.query(http, concrete)
                    assert answer["status"] == "success", f"{title}: {concrete}: {answer}"
                    if not answer["data"]["result"]:
                        empty.append(title)
            assert set(empty) <= ALWAYS_EMPTY_HERE, f"panels without data: {set(empty)}"
            spilled = await prometheus.query(http, "sum(sluicegate_spillover_total)")
            assert float(spilled["data"]["result"][0]["value"][1]) == 2
    finally:
        prometheus.stop()
