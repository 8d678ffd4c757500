"""Matplotlib figures rendered to PNG without pyplot and without touching global state.

`pyplot` keeps a registry of open figures and picks a GUI backend from the environment; a
command-line tool wants neither. A `Figure` with an Agg canvas attached draws off-screen, is
garbage-collected like any object, and renders the same on a server with no display.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["DEFAULT_DPI", "figure_png", "new_figure", "write_png"]

DEFAULT_DPI = 110
"""Sharp on a laptop screen, small enough (tens of kB) to inline several plots in one page."""


def new_figure(width: float = 8.0, height: float = 4.5) -> Figure:
    """An empty figure (size in inches) drawn by Agg: add axes with `figure.add_subplot()`."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def figure_png(figure: Figure, *, dpi: int = DEFAULT_DPI) -> bytes:
    """The figure as PNG bytes (any `Figure` works: one without an Agg canvas gets one)."""
    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def write_png(figure: Figure, path: Path, *, dpi: int = DEFAULT_DPI) -> Path:
    """Write the figure to `path` as PNG (whatever its suffix) and return the path."""
    path.write_bytes(figure_png(figure, dpi=dpi))
    return path
