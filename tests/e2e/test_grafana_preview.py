"""The dashboard preview (`deploy/grafana/preview.py`) against a real Prometheus scraping a
gateway: one axes per panel in the dashboard's grid, lines and values where the scenario left
data, "No data" where it left none, legends from `legendFormat`, and a PNG."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp
import numpy as np
import pytest
from deploy.grafana import preview
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from PIL import Image
from tests.e2e.test_grafana_dashboard import (
    ALWAYS_EMPTY_HERE,
    Prometheus,
    panels,
    prometheus_binary,
    prometheus_home,
    scenario,
)
from tests.e2e.test_observability_scenario import Scenario, chat

__all__ = ["prometheus_home", "scenario"]  # the fixtures, shared with the dashboard test

pytestmark = pytest.mark.e2e

SERVED = "sum(gen_ai_server_request_duration_seconds_count)"


def texts(axes: Axes) -> list[str]:
    return [text.get_text() for text in axes.texts]


def finite_points(axes: Axes) -> int:
    return sum(
        int(np.isfinite(np.asarray(line.get_ydata(), dtype=float)).sum()) for line in axes.lines
    )


async def drive(scenario: Scenario, prometheus: Prometheus, http: aiohttp.ClientSession) -> None:
    """Requests in two scrape intervals, so that histograms and counters grow between samples
    (rate() and quantiles need that): a small one on the PTU deployment, a large one it refuses
    (spillover), two streams, and one the gateway refuses."""
    await prometheus.wait_for(http, 'up{job="sluicegate"}', 1)
    await chat(scenario.url, 20)
    await chat(scenario.url, 600)
    await chat(scenario.url, 40, stream=True)
    await prometheus.wait_for(http, SERVED, 3)
    await chat(scenario.url, 30)
    await chat(scenario.url, 40, stream=True)
    await chat(scenario.url, 0)
    assert scenario.gateway.ledger is not None
    await scenario.gateway.ledger.flush(timeout_s=10)
    await prometheus.wait_for(http, SERVED, 6)
    # rate() needs two samples of a series in its window, and the range's last step may fall a
    # step before the newest sample: three scrapes of the refused request's duration, the last
    # series to appear (the refusal counters exist from the start, at zero).
    refused = 'gen_ai_server_request_duration_seconds_count{status="400"}'
    await prometheus.wait_for(http, f"count_over_time({refused}[1m])", 3)


async def test_the_preview_draws_every_panel_from_a_live_scrape(
    scenario: Scenario, prometheus_home: Path, tmp_path: Path
) -> None:
    binary = prometheus_binary()
    prometheus = Prometheus(binary, scenario.url.removeprefix("http://"), prometheus_home)
    try:
        async with aiohttp.ClientSession() as http:
            began = time.time()
            await drive(scenario, prometheus, http)
            span = preview.window(began, time.time(), scrape_interval=1.0)
        out = tmp_path / "preview.png"
        figure = await preview.render(prometheus.url, span, out=out)
    finally:
        prometheus.stop()

    assert isinstance(figure, Figure)
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == (preview.WIDTH_PX, round(figure.get_figheight() * preview.DPI))
    drawn = {axes.get_label(): axes for axes in figure.axes}
    expected = panels()
    assert len(figure.axes) == len(expected)
    assert set(drawn) == {f"panel-{panel['id']}" for panel in expected}
    note = " ".join(text.get_text() for text in figure.texts)
    assert "not a Grafana screenshot" in note
    for panel in expected:
        axes = drawn[f"panel-{panel['id']}"]
        title = panel["title"]
        assert axes.get_gid() == title
        assert title in note  # the panel's title is drawn above it
        if title in ALWAYS_EMPTY_HERE:
            assert texts(axes) == ["No data"], title
            assert not axes.lines, title
        elif panel["type"] == "stat":
            assert texts(axes), title
            assert "No data" not in texts(axes), title
        else:
            assert finite_points(axes) > 0, f"{title}: no line with a value"
            legend = axes.get_legend()
            assert legend is not None, title
            assert all("{{" not in text.get_text() for text in legend.get_texts()), title

    # Legends and values are the dashboard's, filled in from the series' labels.
    by_status = drawn[f"panel-{_id('Requests per second by status')}"].get_legend()
    assert by_status is not None
    assert {"200", "400"} <= {text.get_text() for text in by_status.get_texts()}
    failures = drawn[f"panel-{_id('Upstream failures by backend and status')}"].get_legend()
    assert failures is not None
    # every backend's 429 series exists from the start; only the PTU deployment's grew
    assert [text.get_text() for text in failures.get_texts()] == ["paygo-west 429", "ptu-east 429"]
    up = texts(drawn[f"panel-{_id('Backend up (0 while cooling down)')}"])
    assert {"cooling down", "ptu-east", "up", "paygo-west"} <= set(up)


def _id(title: str) -> int:
    return int(next(panel["id"] for panel in panels() if panel["title"] == title))


def test_units_are_shown_as_grafana_shows_them() -> None:
    assert preview.format_value(0.25, "percentunit") == "25%"
    assert preview.format_value(0.0042, "s") == "4.2 ms"
    assert preview.format_value(1.5, "reqps") == "1.5 req/s"
    assert preview.format_value(12_500, "short") == "12.5 K"
    assert preview.format_value(3.0, "currencyUSD") == "$3"
    assert preview.legend("{{backend}} {{status}}{{error}}", {"backend": "b", "status": "429",
                          "error": ""}, "x") == "b 429"  # fmt: skip
    span = preview.window(0, 60, 1.0)
    assert preview.expand('rate(x[$__rate_interval]){m=~"$model"}', span, {"model": ".*"}) == (
        'rate(x[4000ms]){m=~".*"}'
    )
