"""The live progress view on the terminal: what the run is doing now and the figures of the
latest aggregation window. Drawn by rich from its own refresh thread, which only reads."""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from sluicegate.bench.output import summary_rows
from sluicegate.bench.runner import Runner

_LIVE_FIGURES = (
    "completed",
    "failed",
    "429 replies (with retried)",
    "RPM",
    "total TPM",
    "TTFT",
    "e2e latency",
    "send lag p50 / p99 / max",
    "PTU utilization mean / max",
)


class LiveView(AbstractContextManager["LiveView"]):
    """Use as a context manager; `watch(runner)` switches it to a new run (sweep steps)."""

    def __init__(self, console: Console, title: str) -> None:
        self._title = title
        self._runner: Runner | None = None
        self._step = ""
        self._live = Live(
            get_renderable=self._render, console=console, refresh_per_second=4, transient=False
        )

    def watch(self, runner: Runner) -> None:
        self._runner = runner
        if runner.plan.mode == "open" and runner.plan.rate is not None:
            self._step = f" at {runner.plan.rate:g} req/s"

    def __enter__(self) -> LiveView:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._live.__exit__(kind, error, trace)

    def _render(self) -> RenderableType:
        runner = self._runner
        if runner is None:
            return Text(f"{self._title}: starting")
        progress = runner.progress
        phase = "measuring" if progress.measuring else "warming up"
        head = Text(
            f"{self._title}{self._step}: {phase}, {progress.elapsed:6.1f} s  "
            f"started {progress.started}  in flight {progress.in_flight}  "
            f"finished {progress.finished}"
        )
        window = progress.last_window
        if window is None:
            return head
        table = Table(
            title=f"window {window['window']} ({window['end'] - window['start']:.1f} s)",
            show_header=False,
            box=None,
        )
        rows = dict(summary_rows(window))
        for name in _LIVE_FIGURES:
            if name in rows:
                table.add_row(name, rows[name])
        return Group(head, table)
