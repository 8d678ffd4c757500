"""How summary figures read, the same in the terminal and in the HTML report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def metric_value(kind: str, value: float | None) -> str:
    """A pass rate as a percentage, a score with three significant decimals."""
    if value is None:
        return "—"
    if kind == "pass_fail":
        return f"{value * 100:.1f}%"
    return f"{value:.3f}"


def difference(kind: str, value: float | None) -> str:
    if value is None:
        return "—"
    if kind == "pass_fail":
        return f"{value * 100:+.1f} pp"
    return f"{value:+.3f}"


def interval(kind: str, bounds: list[float] | None) -> str:
    if bounds is None:
        return "—"
    low, high = bounds
    if kind == "pass_fail":
        return f"[{low * 100:+.1f}, {high * 100:+.1f}] pp"
    return f"[{low:+.3f}, {high:+.3f}]"


def p_value(value: float | None) -> str:
    if value is None:
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def metric_cell(summary: Mapping[str, Any]) -> str:
    """`mean (n=..)` for one prompt's metric summary."""
    return f"{metric_value(summary['kind'], summary['mean'])} (n={summary['n']})"


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} s"


def usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:.6f}" if value < 0.01 else f"${value:,.4f}"


def resolved(versions: Mapping[str, int]) -> str:
    if not versions:
        return "—"
    return ", ".join(f"{name} ×{count}" if len(versions) > 1 else name
                     for name, count in versions.items())  # fmt: skip


def shorten(text: str | None, limit: int = 600) -> str:
    if text is None:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"
