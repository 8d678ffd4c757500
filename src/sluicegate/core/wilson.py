"""The Wilson score interval: how sure a thumbs-up rate is, given how many ratings it rests on.

A plain rate of 1 of 1 says 100 %; the interval says "somewhere between 21 % and 100 %". Unlike
the normal approximation it stays inside [0, 1] and behaves at 0 and n successes, which is
where small feedback groups live.
"""

from __future__ import annotations

import math

Z_95 = 1.959963984540054
"""The two-sided 95 % quantile of the standard normal distribution."""


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The interval for `successes` of `trials`; None when there are no trials.

    With p = successes / n: centre = (p + z²/2n) / (1 + z²/n) and
    half width = z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²).
    """
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        return None
    n = trials
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)
