"""The Wilson score interval against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from sluicegate.core.wilson import Z_95, wilson_interval


def test_eight_of_ten_worked_out_by_hand() -> None:
    # z = 1.959964, z² = 3.841459, z²/n = 0.3841459, 1 + z²/n = 1.3841459
    # centre = (0.8 + 3.841459/20) / 1.3841459 = 0.9920730 / 1.3841459 = 0.7167403
    # half = 1.959964 / 1.3841459 · √(0.8·0.2/10 + 3.841459/400)
    #      = 1.4160108 · √0.0256036 = 1.4160108 · 0.1600113 = 0.2265779
    low, high = wilson_interval(8, 10) or (math.nan, math.nan)
    assert low == pytest.approx(0.7167403 - 0.2265779, abs=1e-6)
    assert high == pytest.approx(0.7167403 + 0.2265779, abs=1e-6)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)


def test_half_of_ten_is_symmetric_around_one_half() -> None:
    low, high = wilson_interval(5, 10) or (math.nan, math.nan)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert low + high == pytest.approx(1.0)


def test_all_or_nothing_stays_inside_zero_and_one() -> None:
    # One of one: centre = (1 + z²/2)/(1 + z²) and half = z/(1 + z²)·√(z²/4), so the upper end
    # is exactly 1 and the lower end is (1 + z²/2 − z²/2)/(1 + z²) = 1/(1 + z²) = 0.2065.
    low, high = wilson_interval(1, 1) or (math.nan, math.nan)
    assert low == pytest.approx(1 / (1 + Z_95**2))
    assert high == 1.0
    low, high = wilson_interval(0, 5) or (math.nan, math.nan)
    assert low == 0.0
    assert high == pytest.approx(Z_95**2 / (5 + Z_95**2))  # 0/n: the upper end is z²/(n + z²)


def test_more_ratings_narrow_the_interval() -> None:
    few, many = wilson_interval(9, 10), wilson_interval(90, 100)
    assert few is not None
    assert many is not None
    assert many[1] - many[0] < few[1] - few[0]


def test_no_ratings_have_no_interval_and_nonsense_is_refused() -> None:
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(-1, 2)
