"""Open-loop arrival schedules: exact constant spacing, seeded Poisson arrivals."""

from __future__ import annotations

import itertools
import random
import statistics

import pytest

from sluicegate.bench.schedule import arrival_offsets, constant_offsets, poisson_offsets


def test_constant_rate_has_no_drift() -> None:
    offsets = list(itertools.islice(constant_offsets(3.0), 3001))
    assert offsets[:4] == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    assert offsets[3000] == 1000.0  # i / R, not a running sum of rounded gaps


def test_poisson_is_seeded_and_has_the_rate() -> None:
    first = list(itertools.islice(poisson_offsets(50.0, random.Random(7)), 20_001))
    again = list(itertools.islice(arrival_offsets("poisson", 50.0, 7), 20_001))
    assert first == again
    assert first[0] == 0.0
    gaps = [b - a for a, b in itertools.pairwise(first)]
    assert all(gap >= 0 for gap in gaps)
    assert statistics.fmean(gaps) == pytest.approx(1 / 50, rel=0.03)
    # Exponential gaps: the standard deviation equals the mean (a constant rate's would be 0).
    assert statistics.pstdev(gaps) == pytest.approx(1 / 50, rel=0.05)
    other = list(itertools.islice(arrival_offsets("poisson", 50.0, 8), 10))
    assert other != first[:10]


def test_rates_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate"):
        next(constant_offsets(0.0))
    with pytest.raises(ValueError, match="rate"):
        next(poisson_offsets(-1.0, random.Random(0)))
