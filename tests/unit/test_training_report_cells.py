"""The figures every training report writes: one format, so reports compare at a glance."""

from __future__ import annotations

import numpy as np
from training.prompt_shield_data import Example
from training.report_cells import labelled_texts, percent, rate


def test_rates_under_one_percent_keep_two_significant_digits() -> None:
    assert percent(1 / 1050) == "0.095%"
    assert percent(0.0) == "0.0%"
    assert percent(0.918) == "91.8%"
    assert percent(1.0) == "100.0%"


def test_a_rate_names_its_counts_and_an_empty_set_has_none() -> None:
    assert rate(np.array([True, False, False, True])) == "50.0% (2/4)"
    assert rate(np.array([], dtype=bool)) == "–"


def test_texts_are_taken_by_label_or_all() -> None:
    examples = [Example("attack", 1, "s"), Example("benign", 0, "s")]
    assert labelled_texts(examples, 1) == ["attack"]
    assert labelled_texts(examples, 0) == ["benign"]
    assert labelled_texts(examples) == ["attack", "benign"]
