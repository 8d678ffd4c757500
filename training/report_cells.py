"""How the training reports write a figure, shared so every report reads the same way: a rate
as a percentage (two significant digits under 1%, so 0.095% is not rounded to 0.1%), with the
count it was measured on, and the machine it was measured on."""

from __future__ import annotations

import platform
from collections.abc import Sequence

import numpy as np

from training.prompt_shield_data import Example


def percent(value: float) -> str:
    return f"{100 * value:.2g}%" if 0 < value < 0.01 else f"{100 * value:.1f}%"


def rate(flags: np.ndarray) -> str:
    """The share of `flags` set, with the counts behind it; a dash for an empty set."""
    if not len(flags):
        return "–"
    return f"{percent(float(flags.mean()))} ({int(flags.sum())}/{len(flags)})"


def labelled_texts(examples: Sequence[Example], label: int | None = None) -> list[str]:
    """The texts of `examples` (only those labelled `label`, if given)."""
    return [e.text for e in examples if label is None or e.label == label]


def machine() -> str:
    """The machine a report was measured on, as its cost section names it."""
    return f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
