"""The reports' section on the labels the trainers correct (`training.prompt_shield_labels`):
how many per split and rule, and the shipped detector's test figures on both labellings."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from training.prompt_shield_data import NEURALCHEMY, SLABS, Corpora, Example
from training.prompt_shield_labels import (
    CONTROL_REASON,
    TEMPLATE_REASON,
    corrected,
    corrections,
    reasons,
)
from training.report_cells import percent

Flags = Callable[[Sequence[str]], np.ndarray]


def _counts(published: Corpora) -> list[str]:
    lines = [
        f"| split | {CONTROL_REASON} → benign | {TEMPLATE_REASON} → attack |",
        "|---|---:|---:|",
    ]
    for split in ("train", "validation", "test"):
        found = reasons(corrections(published.split(split)))
        lines.append(
            f"| {split} | {found.get(CONTROL_REASON, 0)} | {found.get(TEMPLATE_REASON, 0)} |"
        )
    return lines


def _rates(flags: np.ndarray, examples: Sequence[Example], source: str) -> tuple[str, str]:
    labels = np.array([e.label for e in examples])
    sources = np.array([e.source for e in examples])
    attacks, benign = (sources == source) & (labels == 1), (sources == source) & (labels == 0)
    detected = (
        f"{percent(float(flags[attacks].mean()))} ({int(attacks.sum())})" if attacks.any() else "–"
    )
    flagged = (
        f"{percent(float(flags[benign].mean()))} ({int(flags[benign].sum())}/{int(benign.sum())})"
        if benign.any()
        else "–"
    )
    return detected, flagged


def label_section(published: Corpora, flags: Flags) -> list[str]:
    """The counts, then detection and false positives on the test split as published and as
    corrected (the same flags, read against either label)."""
    test = published.test
    fixed = corrected(test)
    flagged = flags([e.text for e in test])
    lines = [*_counts(published), ""]
    lines += [
        "| set | test labels | detected (attacks) | benign flagged |",
        "|---|---|---:|---:|",
    ]
    for source in (SLABS, NEURALCHEMY):
        for name, examples in (("published", test), ("corrected", fixed)):
            detected, false_positives = _rates(flagged, examples, source)
            lines.append(f"| {source} | {name} | {detected} | {false_positives} |")
    return lines
