"""Azure OpenAI's provisioned-deployment utilization header, read and written in one place."""

from __future__ import annotations

import math

UTILIZATION_HEADER = "azure-openai-deployment-utilization"
"""A provisioned deployment reports how full it is on each reply, e.g. `45.2%`."""


def parse_utilization(value: str | None) -> float | None:
    """The header's percentage as a fraction (0.452), or None when absent or not a number."""
    if not value:
        return None
    text = value.strip().removesuffix("%").strip()
    try:
        percent = float(text)
    except ValueError:
        return None
    if not math.isfinite(percent) or percent < 0:
        return None
    return percent / 100.0


def format_utilization(fraction: float) -> str:
    """Azure's format: a percentage with one decimal and a `%` sign, e.g. `45.2%`."""
    return f"{fraction * 100:.1f}%"
