#!/usr/bin/env python3
"""A preview of the Grafana dashboard without Grafana: every panel's own PromQL, evaluated by a
real Prometheus over its HTTP API, drawn with matplotlib in the dashboard's grid layout.

Time series panels run their targets with `/api/v1/query_range`; stat, gauge and table-like
panels with `/api/v1/query` at the end of the range (and, for a stat's sparkline, over the
range). Legends follow each target's `legendFormat`, axes and values its panel's unit. The
figure says in its own text that it is a preview drawn from the dashboard's queries, not a
Grafana screenshot: colours, fonts and layout only resemble Grafana's dark theme.

    python deploy/grafana/preview.py --prometheus http://127.0.0.1:9090 \\
        --from now-30m --out dashboard.png [--scrape-interval 15s] [--var model=gpt-4o]

`$__rate_interval` is worked out as Grafana does: max(step + scrape interval, 4 x scrape
interval), so pass the scrape interval the Prometheus really uses.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator
from PIL import Image

__all__ = [
    "DASHBOARD",
    "PanelData",
    "Series",
    "Window",
    "draw",
    "fetch",
    "format_value",
    "load_dashboard",
    "main",
    "render",
    "save_png",
    "window",
]

DASHBOARD = Path(__file__).resolve().with_name("sluicegate-dashboard.json")
RANGE_TYPES = frozenset({"timeseries", "graph", "barchart", "heatmap", "state-timeline"})
"""Panels that plot over time: their targets run as range queries."""
INSTANT_TYPES = frozenset({"stat", "gauge", "bargauge", "table", "piechart", "text"})
"""Panels that show one value per series: their targets run as instant queries."""
NOTE = (
    "Preview rendered by deploy/grafana/preview.py with matplotlib from the dashboard's own "
    "PromQL queries against Prometheus: not a Grafana screenshot."
)

# Grafana's dark theme, approximately.
CANVAS = "#111217"
PANEL = "#181b1f"
BORDER = "#2a2d33"
TEXT = "#ccccdc"
MUTED = "#8e8e99"
GRID = "#25282e"
ERROR = "#f2495c"
PALETTE = (
    "#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c",
    "#5794f2", "#b877d9", "#705da0", "#37872d", "#fade2a",
)  # fmt: skip
NAMED_COLOURS = {
    "green": "#73bf69",
    "red": "#f2495c",
    "yellow": "#fade2a",
    "orange": "#ff9830",
    "blue": "#5794f2",
    "purple": "#b877d9",
    "text": TEXT,
}
DEFAULT_THRESHOLDS = [{"color": "green", "value": None}, {"color": "red", "value": 80}]
"""Grafana's thresholds for a panel that sets none."""

# Layout in pixels (the figure is drawn at DPI dots per inch).
DPI = 100
WIDTH_PX = 1600
MARGIN_PX = 12
HEADER_PX = 64
FOOTER_PX = 30
ROW_UNIT_PX = 34
"""One grid unit of height (Grafana: 30 px and an 8 px gap)."""
GAP_PX = 8
TITLE_PX = 28
CHAR_PX = 0.6 * 7.5 * DPI / 72
"""Rough width of one character of tick-label text (7.5 pt)."""
LEGEND_CHAR_PX = 0.6 * 8 * DPI / 72
LEGEND_ROW_PX = 17
TIME_STEPS = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
    86400, 172800, 604800,
)  # fmt: skip
"""Candidate spacings of time ticks, in seconds."""


# --- querying Prometheus ---------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The time range and the resolution every query of one preview uses."""

    start: float
    end: float
    step: float
    rate_interval: float
    """What `$__rate_interval` stands for, in seconds."""


def window(
    start: float,
    end: float,
    scrape_interval: float,
    *,
    step: float | None = None,
    rate_interval: float | None = None,
) -> Window:
    """Grafana's choice: the step is the range over about 400 points but never below the
    scrape interval; `$__rate_interval` is max(step + scrape interval, 4 x scrape interval)."""
    if end <= start:
        raise ValueError("the time range is empty: --from must be before --to")
    chosen = round(step if step is not None else max(scrape_interval, (end - start) / 400), 3)
    rate = rate_interval or max(chosen + scrape_interval, 4 * scrape_interval)
    # Whole milliseconds, as sent to Prometheus, so that its steps and ours coincide.
    if chosen <= 0:
        raise ValueError("the step must be at least 1 ms")
    return Window(round(start, 3), round(end, 3), chosen, rate)


@dataclass(frozen=True)
class Series:
    """One series of one target: its legend name and its samples (NaN where it had none)."""

    name: str
    times: list[float]
    values: list[float]

    @property
    def finite(self) -> list[float]:
        return [value for value in self.values if math.isfinite(value)]


@dataclass
class PanelData:
    """What a panel's targets returned: range series (time series panels, stat sparklines),
    instant values (stat-like panels) and any query errors."""

    panel: dict[str, Any]
    series: list[Series] = field(default_factory=list)
    values: list[tuple[str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.panel.get("title", ""))

    @property
    def instant(self) -> bool:
        return self.panel.get("type") in INSTANT_TYPES

    @property
    def has_data(self) -> bool:
        """Grafana says "No data" only when no series came back: a series whose every value
        is NaN (a quantile of no requests) still gets its legend entry and an empty plot."""
        if self.instant:
            return bool(self.values)
        return bool(self.series)


def load_dashboard(path: Path = DASHBOARD) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads(path.read_bytes())
    return document


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """All panels in grid order, those nested in collapsed rows included."""
    found: list[dict[str, Any]] = []
    for panel in dashboard.get("panels", []):
        found.append(panel)
        found.extend(panel.get("panels", []) if panel.get("type") == "row" else [])
    return found


def default_variables(dashboard: dict[str, Any]) -> dict[str, str]:
    """Each template variable at "All" (its `allValue`, else `.*`) or its current value."""
    chosen: dict[str, str] = {}
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "datasource":
            continue
        current = variable.get("current", {}).get("value")
        if variable.get("includeAll") and current in (None, "$__all", ["$__all"]):
            chosen[variable["name"]] = variable.get("allValue") or ".*"
        elif isinstance(current, str):
            chosen[variable["name"]] = current
        else:
            chosen[variable["name"]] = ".*"
    return chosen


def duration(seconds: float) -> str:
    """A PromQL duration (whole milliseconds)."""
    return f"{max(1, round(seconds * 1000))}ms"


def expand(expr: str, span: Window, variables: dict[str, str]) -> str:
    """Substitute Grafana's built-in and template variables as Grafana does before querying."""
    builtins = {
        "__rate_interval": duration(span.rate_interval),
        "__interval": duration(span.step),
        "__range": duration(span.end - span.start),
    }
    values = {**variables, **builtins}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        return values.get(name, match.group(0))

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)", substitute, expr)


def legend(template: str, labels: dict[str, str], expr: str) -> str:
    """`legendFormat` with `{{label}}` filled in; without one, the series' labels as Grafana
    shows them (or the expression, for a series without labels)."""
    if template and template != "__auto":
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template)
    name = labels.get("__name__", "")
    shown = ", ".join(f'{key}="{value}"' for key, value in labels.items() if key != "__name__")
    if not name and not shown:
        return expr
    return f"{name}{{{shown}}}" if shown else name


class PrometheusError(RuntimeError):
    """Prometheus could not be reached or did not answer with data."""


async def _api(
    http: aiohttp.ClientSession, base: str, path: str, params: dict[str, str]
) -> dict[str, Any]:
    try:
        async with http.get(f"{base}{path}", params=params) as response:
            answer: dict[str, Any] = await response.json(content_type=None)
    except aiohttp.ClientConnectionError as error:
        raise PrometheusError(f"no Prometheus answers at {base}: {error}") from None
    except orjson.JSONDecodeError:
        raise PrometheusError(f"{base}{path} did not answer with JSON: is it Prometheus?") from None
    return answer


async def query_range(
    http: aiohttp.ClientSession, base: str, expr: str, span: Window
) -> tuple[list[tuple[dict[str, str], list[float], list[float]]], str | None]:
    """Each series' labels and samples; or the error Prometheus gave."""
    params = {
        "query": expr,
        "start": f"{span.start:.3f}",
        "end": f"{span.end:.3f}",
        "step": f"{span.step:.3f}",
    }
    answer = await _api(http, base, "/api/v1/query_range", params)
    if answer.get("status") != "success":
        return [], str(answer.get("error", answer))
    found = []
    for result in answer["data"]["result"]:
        times = [float(point[0]) for point in result["values"]]
        values = [float(point[1]) for point in result["values"]]
        found.append((result["metric"], times, values))
    return found, None


async def query_instant(
    http: aiohttp.ClientSession, base: str, expr: str, at: float
) -> tuple[list[tuple[dict[str, str], float]], str | None]:
    answer = await _api(http, base, "/api/v1/query", {"query": expr, "time": f"{at:.3f}"})
    if answer.get("status") != "success":
        return [], str(answer.get("error", answer))
    data = answer["data"]
    if data["resultType"] == "scalar":
        return [({}, float(data["result"][1]))], None
    return [(result["metric"], float(result["value"][1])) for result in data["result"]], None


def _grid(span: Window) -> list[float]:
    count = math.floor((span.end - span.start) / span.step + 1e-9) + 1
    return [span.start + index * span.step for index in range(count)]


def _on_grid(span: Window, times: list[float], values: list[float]) -> list[float]:
    """Samples placed on the window's step grid, NaN where the series had none."""
    grid = _grid(span)
    by_index = {
        round((at - span.start) / span.step): value for at, value in zip(times, values, strict=True)
    }
    missing = set(by_index) - set(range(len(grid)))
    if missing:
        raise PrometheusError(f"Prometheus answered for steps outside the range: {missing}")
    return [by_index.get(index, math.nan) for index in range(len(grid))]


async def fetch_panel(
    http: aiohttp.ClientSession,
    base: str,
    panel: dict[str, Any],
    span: Window,
    variables: dict[str, str],
) -> PanelData:
    data = PanelData(panel)
    instant = panel.get("type") in INSTANT_TYPES
    sparkline = panel.get("type") == "stat" and _option(panel, "graphMode", "area") != "none"
    for target in panel.get("targets", []):
        if target.get("hide") or not target.get("expr"):
            continue
        expr = expand(target["expr"], span, variables)
        template = target.get("legendFormat", "")
        if instant:
            values, error = await query_instant(http, base, expr, span.end)
            if error is not None:
                data.errors.append(error)
            data.values.extend((legend(template, labels, expr), value) for labels, value in values)
        if not instant or sparkline:
            series, error = await query_range(http, base, expr, span)
            if error is not None and not instant:
                data.errors.append(error)
            data.series.extend(
                Series(legend(template, labels, expr), _grid(span), _on_grid(span, times, values))
                for labels, times, values in series
            )
    return data


async def fetch(
    http: aiohttp.ClientSession,
    base: str,
    dashboard: dict[str, Any],
    span: Window,
    variables: dict[str, str] | None = None,
) -> list[PanelData]:
    """Every non-row panel's data, in the dashboard's order."""
    chosen = {**default_variables(dashboard), **(variables or {})}
    return [
        await fetch_panel(http, base.rstrip("/"), panel, span, chosen)
        for panel in panels(dashboard)
        if panel.get("type") != "row"
    ]


# --- units -----------------------------------------------------------------------------------


def _number(value: float, significant: int = 3) -> str:
    """A number with about `significant` digits and no trailing zeros."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    magnitude = math.floor(math.log10(abs(value)))
    decimals = min(6, max(0, significant - 1 - magnitude))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _short(value: float) -> str:
    for limit, suffix in ((1e12, " T"), (1e9, " B"), (1e6, " M"), (1e3, " K")):
        if abs(value) >= limit:
            return _number(value / limit) + suffix
    return _number(value)


def _seconds(value: float) -> str:
    size = abs(value)
    if size == 0:
        return "0 s"
    if size < 1e-3:
        return f"{_number(value * 1e6)} µs"
    if size < 1:
        return f"{_number(value * 1e3)} ms"
    if size < 60:
        return f"{_number(value)} s"
    if size < 3600:
        return f"{_number(value / 60)} min"
    return f"{_number(value / 3600)} hour"


def format_value(value: float, unit: str) -> str:
    """A value as Grafana shows it for the panel's unit (the units this dashboard uses, and
    plain numbers for any other)."""
    if math.isnan(value):
        return "NaN"
    if unit == "percentunit":
        return f"{_number(value * 100)}%"
    if unit == "percent":
        return f"{_number(value)}%"
    if unit == "s":
        return _seconds(value)
    if unit == "ms":
        return _seconds(value / 1000)
    if unit == "reqps":
        return f"{_short(value)} req/s"
    if unit == "currencyUSD":
        return f"-${_short(-value)}" if value < 0 else f"${_short(value)}"
    if unit == "bytes":
        for limit, suffix in ((2**30, " GiB"), (2**20, " MiB"), (2**10, " KiB")):
            if abs(value) >= limit:
                return _number(value / limit) + suffix
        return f"{_number(value)} B"
    if unit in ("", "short", "none"):
        return _short(value)
    return f"{_short(value)} {unit}"


# --- drawing ---------------------------------------------------------------------------------


def _defaults(panel: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = panel.get("fieldConfig", {}).get("defaults", {})
    return found


def _option(panel: dict[str, Any], name: str, default: Any) -> Any:
    return panel.get("options", {}).get(name, default)


def _colour(name: str) -> str:
    return NAMED_COLOURS.get(name, name)


@dataclass(frozen=True)
class Box:
    """A rectangle in figure pixels, measured from the top-left corner."""

    left: float
    top: float
    width: float
    height: float


class Canvas:
    """Pixel boxes to figure fractions, for a figure of a given pixel size."""

    def __init__(self, figure: Figure, width: float, height: float) -> None:
        self.figure = figure
        self.width = width
        self.height = height

    def rect(self, box: Box) -> tuple[float, float, float, float]:
        return (
            box.left / self.width,
            1 - (box.top + box.height) / self.height,
            box.width / self.width,
            box.height / self.height,
        )

    def point(self, left: float, top: float) -> tuple[float, float]:
        return left / self.width, 1 - top / self.height

    def text(self, left: float, top: float, text: str, **style: Any) -> None:
        x, y = self.point(left, top)
        self.figure.text(x, y, text, **style)


def _grid_box(grid: dict[str, Any], column: float) -> Box:
    return Box(
        MARGIN_PX + grid["x"] * column + GAP_PX / 2,
        HEADER_PX + grid["y"] * ROW_UNIT_PX + GAP_PX / 2,
        grid["w"] * column - GAP_PX,
        grid["h"] * ROW_UNIT_PX - GAP_PX,
    )


def _legend_rows(labels: Sequence[str], width: float) -> tuple[int, int]:
    """Columns and rows of a bottom list legend that fits `width` pixels."""
    widths = [22 + LEGEND_CHAR_PX * len(label) + 14 for label in labels]
    if not widths:
        return 1, 0
    columns = len(widths)
    while columns > 1 and max(widths) * columns > width:
        columns -= 1
    return columns, math.ceil(len(widths) / columns)


def _time_axis(axes: Axes, span: Window, width: float) -> None:
    """Time ticks on round instants, no closer than a label's width and a gap."""
    axes.set_xlim(span.start / 86400, span.end / 86400)
    most = max(2, int(width // 62))
    spacing = next((s for s in TIME_STEPS if (span.end - span.start) / s <= most), TIME_STEPS[-1])
    axes.xaxis.set_major_locator(MultipleLocator(spacing / 86400))
    shown = "%H:%M:%S" if spacing < 60 else "%H:%M" if spacing < 86400 else "%m-%d"
    zone = _local_zone()
    axes.xaxis.set_major_formatter(
        FuncFormatter(
            lambda day, _: datetime.fromtimestamp(round(day * 86400), tz=zone).strftime(shown)
        )
    )


def _local_zone() -> Any:
    return datetime.now().astimezone().tzinfo


def _style_axes(axes: Axes) -> None:
    axes.set_facecolor(PANEL)
    for spine in axes.spines.values():
        spine.set_visible(False)
    axes.tick_params(colors=MUTED, labelsize=7.5, length=0, pad=3)
    axes.grid(True, color=GRID, linewidth=0.7)
    axes.set_axisbelow(True)


def _no_data(axes: Axes, message: str = "No data", colour: str = MUTED) -> None:
    axes.set_axis_off()
    axes.text(
        0.5, 0.5, message, transform=axes.transAxes, ha="center", va="center",
        color=colour, fontsize=11, wrap=True,
    )  # fmt: skip


def _draw_timeseries(canvas: Canvas, box: Box, data: PanelData, span: Window) -> Axes:
    panel = data.panel
    defaults = _defaults(panel)
    unit = str(defaults.get("unit", ""))
    custom = defaults.get("custom", {})
    stacked = custom.get("stacking", {}).get("mode", "none") == "normal"
    fill = float(custom.get("fillOpacity", 0)) / 100
    show_legend = _option(panel, "legend", {}).get("showLegend", True)
    labels = [series.name for series in data.series]
    inner = box.width - 16
    columns, rows = _legend_rows(labels, inner) if show_legend and data.has_data else (1, 0)
    legend_px = rows * LEGEND_ROW_PX + (4 if rows else 0)
    plot = Box(box.left + 8, box.top + TITLE_PX, inner, box.height - TITLE_PX - 20 - legend_px)
    axes = canvas.figure.add_axes(canvas.rect(plot), label=f"panel-{panel.get('id')}")
    axes.set_gid(data.title)
    _style_axes(axes)
    if data.errors:
        _no_data(axes, "query error: " + data.errors[0][:120], ERROR)
        return axes
    if not data.has_data:
        _no_data(axes)
        return axes
    days = [at / 86400 for at in data.series[0].times]
    base = [0.0] * len(days)
    handles = []
    for index, series in enumerate(data.series):
        colour = PALETTE[index % len(PALETTE)]
        values = series.values
        if stacked:
            top = [
                b + v if math.isfinite(v) else math.nan for b, v in zip(base, values, strict=True)
            ]
            if fill:
                axes.fill_between(days, base, top, color=colour, alpha=fill, linewidth=0)
            base = [b + v if math.isfinite(v) else b for b, v in zip(base, values, strict=True)]
            values = top
        elif fill:
            axes.fill_between(days, 0, values, color=colour, alpha=fill, linewidth=0)
        axes.plot(days, values, color=colour, linewidth=1.3, solid_joinstyle="round")
        handles.append(Line2D([], [], color=colour, linewidth=3))
    _time_axis(axes, span, plot.width)
    _value_axis(axes, data.series, unit, stacked)
    _fit_left(canvas, axes, plot, unit)
    if rows:
        x, y = canvas.point(box.left + 8, box.top + box.height - legend_px - 2)
        axes.legend(
            handles, labels, loc="upper left", bbox_to_anchor=(x, y),
            bbox_transform=canvas.figure.transFigure, ncol=columns, frameon=False,
            borderaxespad=0, borderpad=0, fontsize=8, labelcolor=TEXT, handlelength=0.9,
            handletextpad=0.5, columnspacing=1.4, labelspacing=0.35,
        )  # fmt: skip
    return axes


def _value_axis(axes: Axes, series: Iterable[Series], unit: str, stacked: bool) -> None:
    columns = [s.values for s in series]
    if stacked:
        totals = [sum(v for v in step if math.isfinite(v)) for step in zip(*columns, strict=True)]
        finite = [*totals, *(v for c in columns for v in c if math.isfinite(v))]
    else:
        finite = [v for c in columns for v in c if math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 0.0)
    bottom = 0.0 if low >= 0 else low * 1.05
    top = high * 1.08 if high > 0 else 0.0
    if top - bottom < 1e-12:
        top = bottom + (1.0 if unit != "percentunit" else 0.01)
    axes.set_ylim(bottom, top)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, min_n_ticks=3))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_value(value, unit)))


def _fit_left(canvas: Canvas, axes: Axes, plot: Box, unit: str) -> None:
    """Leave room on the left for the longest tick label."""
    low, high = axes.get_ylim()
    ticks = [t for t in axes.get_yticks() if low - 1e-12 <= t <= high + 1e-12]
    widest = max((len(format_value(t, unit)) for t in ticks), default=3)
    room = widest * CHAR_PX + 8
    axes.set_position(
        canvas.rect(Box(plot.left + room, plot.top, plot.width - room - 4, plot.height))
    )


def _stat_colour(panel: dict[str, Any], value: float) -> tuple[str, str]:
    """The value's text and colour: a value mapping if one matches, else the thresholds."""
    defaults = _defaults(panel)
    unit = str(defaults.get("unit", ""))
    key = str(int(value)) if math.isfinite(value) and value == int(value) else repr(value)
    for mapping in defaults.get("mappings", []):
        if mapping.get("type") == "value" and key in mapping.get("options", {}):
            found = mapping["options"][key]
            return str(found.get("text", format_value(value, unit))), _colour(
                found.get("color", "text")
            )
    steps = defaults.get("thresholds", {}).get("steps", DEFAULT_THRESHOLDS)
    colour = "green"
    for step in steps:
        if step.get("value") is None or value >= float(step["value"]):
            colour = step.get("color", colour)
    return format_value(value, unit), _colour(colour)


def _draw_stat(canvas: Canvas, box: Box, data: PanelData, span: Window) -> Axes:
    panel = data.panel
    plot = Box(box.left + 8, box.top + TITLE_PX, box.width - 16, box.height - TITLE_PX - 8)
    axes = canvas.figure.add_axes(canvas.rect(plot), label=f"panel-{panel.get('id')}")
    axes.set_gid(data.title)
    axes.set_facecolor(PANEL)
    axes.set_axis_off()
    if data.errors:
        _no_data(axes, "query error: " + data.errors[0][:120], ERROR)
        return axes
    if not data.values:
        _no_data(axes)
        return axes
    count = len(data.values)
    cell = plot.width / count
    for index, (name, value) in enumerate(data.values):
        text, colour = _stat_colour(panel, value)
        centre = (index + 0.5) / count
        size = min(30.0, plot.height * 0.28 * 72 / DPI, cell / (0.62 * len(text) * DPI / 72))
        top = 0.62 if count > 1 or data.series else 0.55
        axes.text(
            centre, top, text, transform=axes.transAxes, ha="center", va="center",
            color=colour, fontsize=size, fontweight="bold",
        )  # fmt: skip
        if count > 1:
            axes.text(
                centre, 0.9, name, transform=axes.transAxes, ha="center", va="center",
                color=TEXT, fontsize=9,
            )  # fmt: skip
    if count == 1 and data.series:
        _sparkline(axes, data.series[0], span, _stat_colour(panel, data.values[0][1])[1])
    return axes


def _sparkline(axes: Axes, series: Series, span: Window, colour: str) -> None:
    """The stat's history along the bottom third of its box, as Grafana's area graph mode."""
    finite = series.finite
    if not finite:
        return
    low, high = min(0.0, *finite), max(finite)
    height = (high - low) or 1.0
    axes.set_ylim(low, low + height / 0.32)
    axes.set_xlim(span.start / 86400, span.end / 86400)
    days = [at / 86400 for at in series.times]
    axes.fill_between(days, low, series.values, color=colour, alpha=0.18, linewidth=0)
    axes.plot(days, series.values, color=colour, linewidth=1.1)


def _draw_row(canvas: Canvas, box: Box, panel: dict[str, Any]) -> None:
    canvas.text(
        box.left, box.top + box.height / 2 + 2, str(panel.get("title", "")),
        color=TEXT, fontsize=11, fontweight="bold", va="center",
    )  # fmt: skip


def _draw_frame(canvas: Canvas, box: Box, title: str) -> None:
    canvas.figure.patches.append(
        Rectangle(
            canvas.rect(box)[:2], box.width / canvas.width, box.height / canvas.height,
            transform=canvas.figure.transFigure, facecolor=PANEL, edgecolor=BORDER,
            linewidth=0.8, zorder=-1,
        )
    )  # fmt: skip
    canvas.text(
        box.left + 10, box.top + 15, title, color=TEXT, fontsize=9.5, fontweight="bold",
        va="center",
    )  # fmt: skip


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, tz=_local_zone()).strftime("%Y-%m-%d %H:%M:%S")


def _draw_header(
    canvas: Canvas, dashboard: dict[str, Any], span: Window, variables: dict[str, str]
) -> None:
    canvas.text(
        MARGIN_PX + 4, 22, "Dashboards  ›  " + str(dashboard.get("title", "")), color=TEXT,
        fontsize=14, va="center",
    )  # fmt: skip
    shown = "   ".join(
        f"{name}: {'All' if value == '.*' else value}" for name, value in variables.items()
    )
    zone = datetime.now().astimezone().strftime("%Z")
    canvas.text(
        MARGIN_PX + 4, 48, shown, color=MUTED, fontsize=9, va="center",
    )  # fmt: skip
    canvas.text(
        canvas.width - MARGIN_PX - 4, 22, f"{_stamp(span.start)} to {_stamp(span.end)} {zone}",
        color=TEXT, fontsize=10, ha="right", va="center",
    )  # fmt: skip
    canvas.text(
        canvas.width - MARGIN_PX - 4, 48, NOTE, color=MUTED, fontsize=8, ha="right",
        va="center", style="italic",
    )  # fmt: skip


def draw(
    dashboard: dict[str, Any],
    data: Sequence[PanelData],
    span: Window,
    *,
    source: str,
    variables: dict[str, str] | None = None,
) -> Figure:
    """The dashboard as a figure: one axes per non-row panel (labelled `panel-<id>`, its gid
    the panel title), rows as headings, the note that this is a preview, not Grafana."""
    every = panels(dashboard)
    bottom = max((p["gridPos"]["y"] + p["gridPos"]["h"] for p in every), default=1)
    height = HEADER_PX + bottom * ROW_UNIT_PX + FOOTER_PX
    figure = Figure(figsize=(WIDTH_PX / DPI, height / DPI), dpi=DPI, facecolor=CANVAS)
    FigureCanvasAgg(figure)
    canvas = Canvas(figure, WIDTH_PX, height)
    column = (WIDTH_PX - 2 * MARGIN_PX) / 24
    by_id = {item.panel.get("id"): item for item in data}
    for panel in every:
        box = _grid_box(panel["gridPos"], column)
        if panel.get("type") == "row":
            _draw_row(canvas, box, panel)
            continue
        item = by_id.get(panel.get("id"), PanelData(panel))
        _draw_frame(canvas, box, item.title)
        if item.instant:
            _draw_stat(canvas, box, item, span)
        else:
            _draw_timeseries(canvas, box, item, span)
    chosen = {**default_variables(dashboard), **(variables or {})}
    _draw_header(canvas, dashboard, span, chosen)
    canvas.text(
        MARGIN_PX + 4, height - FOOTER_PX / 2,
        f"{NOTE} Source: {source}; step {span.step:g} s, $__rate_interval "
        f"{span.rate_interval:g} s. Import the JSON into Grafana for the real dashboard.",
        color=MUTED, fontsize=8, va="center", style="italic",
    )  # fmt: skip
    return figure


def save_png(figure: Figure, path: Path, *, colours: int = 256) -> Path:
    """The figure as a palette PNG: the flat dark theme loses nothing visible at 256 colours
    and the file is a fraction of the size."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor=figure.get_facecolor())
    buffer.seek(0)
    with Image.open(buffer) as image:
        reduced = image.convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT)
        path.parent.mkdir(parents=True, exist_ok=True)
        reduced.save(path, format="PNG", optimize=True)
    return path


async def render(
    prometheus: str,
    span: Window,
    *,
    dashboard: dict[str, Any] | None = None,
    variables: dict[str, str] | None = None,
    out: Path | None = None,
) -> Figure:
    """Query and draw; write the PNG to `out` when given. Returns the figure."""
    document = dashboard if dashboard is not None else load_dashboard()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        data = await fetch(http, prometheus, document, span, variables)
    figure = draw(document, data, span, source=prometheus, variables=variables)
    if out is not None:
        save_png(figure, out)
    return figure


# --- command line ----------------------------------------------------------------------------

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """`15s`, `500ms`, `5m`, `1h` (or bare seconds)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 15s, 5m or 1h")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def parse_time(text: str, now: float) -> float:
    """`now`, `now-15m`, Unix seconds, or an ISO 8601 time (UTC unless it names a zone)."""
    text = text.strip()
    if text == "now":
        return now
    if text.startswith("now-"):
        return now - parse_duration(text[4:])
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: use now, now-15m, Unix seconds or ISO 8601"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _variable(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: use NAME=VALUE, e.g. model=gpt-4o")
    return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--prometheus", required=True, help="base URL, e.g. http://host:9090")
    parser.add_argument("--dashboard", type=Path, default=DASHBOARD)
    parser.add_argument("--out", type=Path, default=Path("grafana-dashboard-preview.png"))
    parser.add_argument("--from", dest="start", default="now-1h", help="default: now-1h")
    parser.add_argument("--to", dest="end", default="now", help="default: now")
    parser.add_argument("--scrape-interval", type=parse_duration, default=15.0, help="default: 15s")
    parser.add_argument("--step", type=parse_duration, help="default: as Grafana chooses")
    parser.add_argument("--rate-interval", type=parse_duration, help="override $__rate_interval")
    parser.add_argument(
        "--var", type=_variable, action="append", default=[], help="NAME=VALUE (default: All)"
    )
    args = parser.parse_args(argv)
    now = time.time()
    try:
        start, end = parse_time(args.start, now), parse_time(args.end, now)
        span = window(
            start, end, args.scrape_interval, step=args.step, rate_interval=args.rate_interval
        )
        dashboard = load_dashboard(args.dashboard)
    except (argparse.ArgumentTypeError, ValueError, OSError) as error:
        parser.error(str(error))
    try:
        asyncio.run(
            render(
                args.prometheus, span, dashboard=dashboard, variables=dict(args.var), out=args.out
            )
        )
    except PrometheusError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
