"""Is version B better than version A? Paired statistics over the items both versions
answered, per metric.

- Pass/fail metrics: McNemar's test on the discordant pairs — b items that only A passed,
  c items that only B passed (items both passed or both failed say nothing about the
  difference). Under "no difference" each discordant item is a fair coin, so with n = b + c:
  exact two-sided binomial p = min(1, 2 · Σ_{i ≤ min(b, c)} C(n, i) / 2ⁿ) while n < 25, and
  from 25 on the chi-square approximation with Edwards' continuity correction,
  χ² = max(0, |b − c| − 1)² / n, p = P(χ²₁ ≥ χ²) = erfc(√(χ²/2)).
- Every metric: a paired bootstrap percentile interval of the mean difference mean(B − A):
  resample the items with replacement (seeded numpy Generator), take the mean difference of
  each resample, and read the (1 − confidence)/2 and (1 + confidence)/2 quantiles. Score
  metrics are judged by it: B is better when the whole interval is above 0, worse when it is
  below.
- Win/tie/loss counts per item, and Cohen's kappa with raw agreement for checking a judge
  against human ratings.

Warnings mark comparisons that cannot be trusted or cannot succeed: McNemar's smallest
possible p with n discordant pairs is 2 · 2⁻ⁿ (all of them one way), so with fewer than
⌈1 + log₂(1/α)⌉ of them (6 at α = 0.05) no difference can ever be significant; and a bootstrap
interval from fewer than 30 paired items tends to be too narrow. Each metric is tested at α on
its own: with many metrics, some will differ by chance (1 in 20 at α = 0.05).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sluicegate.evals.evaluator import MetricKind, Score

Verdict = Literal["better", "worse", "no significant difference"]
EXACT_BELOW = 25
"""McNemar uses the exact binomial test below this many discordant pairs."""
MIN_PAIRED_ITEMS = 30
"""Fewer paired items than this earn a warning on the bootstrap interval."""
_CHUNK_CELLS = 2_000_000
"""Bootstrap indices drawn at once (bounds memory: 16 MB of int64)."""


@dataclass(frozen=True, slots=True)
class McNemarResult:
    losses: int
    """b: items the baseline passed and the candidate failed."""
    wins: int
    """c: items the baseline failed and the candidate passed."""
    p_value: float
    method: Literal["exact", "chi2"]
    statistic: float | None = None
    """The continuity-corrected χ² when method is chi2."""


@dataclass(frozen=True, slots=True)
class BootstrapInterval:
    mean_difference: float
    """mean(candidate − baseline) over the paired items."""
    low: float
    high: float
    confidence: float
    resamples: int


@dataclass(frozen=True, slots=True)
class WinTieLoss:
    wins: int
    ties: int
    losses: int


@dataclass(frozen=True, slots=True)
class Agreement:
    n: int
    agreement: float
    """Raw agreement: the share of items both raters gave the same label."""
    kappa: float | None
    """Cohen's kappa; None when chance agreement is certain (both raters always give one and
    the same label), where it is undefined."""


@dataclass(frozen=True, slots=True)
class MetricComparison:
    metric: str
    kind: MetricKind
    n: int
    """Items with a value in both versions."""
    excluded: int
    """Items scored in only one version, or without a value (not applicable) in one."""
    baseline_mean: float | None
    candidate_mean: float | None
    wins: int
    ties: int
    losses: int
    interval: BootstrapInterval | None
    mcnemar: McNemarResult | None
    """Pass/fail metrics only."""
    verdict: Verdict
    warnings: tuple[str, ...] = ()

    @property
    def difference(self) -> float | None:
        """candidate mean − baseline mean."""
        if self.baseline_mean is None or self.candidate_mean is None:
            return None
        return self.candidate_mean - self.baseline_mean


def mcnemar_counts(losses: int, wins: int, *, exact_below: int = EXACT_BELOW) -> McNemarResult:
    """McNemar's test from the discordant counts b (losses) and c (wins)."""
    if losses < 0 or wins < 0:
        raise ValueError("discordant counts cannot be negative")
    n = losses + wins
    if n == 0:
        return McNemarResult(losses, wins, 1.0, "exact")
    if n < exact_below:
        tail = sum(math.comb(n, i) for i in range(min(losses, wins) + 1))
        return McNemarResult(losses, wins, min(1.0, 2 * tail / 2**n), "exact")
    statistic = max(0, abs(losses - wins) - 1) ** 2 / n
    return McNemarResult(losses, wins, math.erfc(math.sqrt(statistic / 2)), "chi2", statistic)


def mcnemar(
    baseline: Sequence[bool], candidate: Sequence[bool], *, exact_below: int = EXACT_BELOW
) -> McNemarResult:
    """McNemar's test on paired pass/fail outcomes (same item at the same index)."""
    _same_length(baseline, candidate)
    losses = sum(1 for a, b in zip(baseline, candidate, strict=True) if a and not b)
    wins = sum(1 for a, b in zip(baseline, candidate, strict=True) if b and not a)
    return mcnemar_counts(losses, wins, exact_below=exact_below)


def min_discordant(alpha: float) -> int:
    """The fewest discordant pairs with which McNemar's exact test can reach p < alpha:
    the smallest n with 2 · 2⁻ⁿ < alpha."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    n = 1
    while 2.0 ** (1 - n) >= alpha:
        n += 1
    return n


def paired_bootstrap(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    resamples: int = 10_000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapInterval:
    """Percentile interval of mean(candidate − baseline) from `resamples` paired resamples."""
    _same_length(baseline, candidate)
    if not baseline:
        raise ValueError("the bootstrap needs at least one paired item")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    diffs = np.asarray(candidate, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    n = len(diffs)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples, dtype=np.float64)
    step = max(1, _CHUNK_CELLS // n)
    for start in range(0, resamples, step):
        stop = min(resamples, start + step)
        picks = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = diffs[picks].mean(axis=1)
    low, high = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
    return BootstrapInterval(float(diffs.mean()), float(low), float(high), confidence, resamples)


def win_tie_loss(
    baseline: Sequence[float], candidate: Sequence[float], *, tolerance: float = 0.0
) -> WinTieLoss:
    """Per item: a win when candidate > baseline + tolerance, a loss when below by more than
    tolerance, else a tie."""
    _same_length(baseline, candidate)
    wins = sum(1 for a, b in zip(baseline, candidate, strict=True) if b - a > tolerance)
    losses = sum(1 for a, b in zip(baseline, candidate, strict=True) if a - b > tolerance)
    return WinTieLoss(wins, len(baseline) - wins - losses, losses)


def cohen_kappa(
    rater_a: Sequence[Hashable],
    rater_b: Sequence[Hashable],
    *,
    weights: Literal["none", "linear", "quadratic"] = "none",
    labels: Sequence[Hashable] | None = None,
) -> Agreement:
    """Cohen's kappa: agreement beyond chance, κ = 1 − Σ wᵢⱼ·Oᵢⱼ / Σ wᵢⱼ·Eᵢⱼ, with O the
    observed proportions of label pairs, E = outer product of the two raters' label shares,
    and disagreement weights w: 1 off the diagonal (plain kappa, = (pₒ − pₑ)/(1 − pₑ)),
    |i − j| (linear) or (i − j)² (quadratic) for ordered labels such as 1–5 ratings.

    `labels` fixes the categories and their order; by default, the sorted labels seen.
    """
    _same_length(rater_a, rater_b)
    if not rater_a:
        raise ValueError("kappa needs at least one rated item")
    if labels is None:
        seen = set(rater_a) | set(rater_b)
        try:
            labels = sorted(seen)  # type: ignore[type-var]
        except TypeError:
            labels = list(dict.fromkeys([*rater_a, *rater_b]))
    index = {label: i for i, label in enumerate(labels)}
    unknown = [x for x in (*rater_a, *rater_b) if x not in index]
    if unknown:
        raise ValueError(f"label {unknown[0]!r} is not among the labels given")
    k = len(labels)
    observed = np.zeros((k, k), dtype=np.float64)
    for a, b in zip(rater_a, rater_b, strict=True):
        observed[index[a], index[b]] += 1
    n = len(rater_a)
    observed /= n
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    i, j = np.indices((k, k))
    if weights == "none":
        w = (i != j).astype(np.float64)
    elif weights == "linear":
        w = np.abs(i - j).astype(np.float64)
    else:
        w = ((i - j) ** 2).astype(np.float64)
    chance = float((w * expected).sum())
    agreement = float(np.trace(observed))
    kappa = None if chance == 0 else 1.0 - float((w * observed).sum()) / chance
    return Agreement(n, agreement, kappa)


def _same_length(a: Sequence[object], b: Sequence[object]) -> None:
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} and {len(b)}")


def _value(score: Score, kind: MetricKind) -> float | None:
    if kind == "pass_fail":
        return None if score.passed is None else float(score.passed)
    if score.value is None or not math.isfinite(score.value):
        return None
    return score.value


def compare_metric(
    metric: str,
    kind: MetricKind,
    baseline: Mapping[str, Score],
    candidate: Mapping[str, Score],
    *,
    alpha: float = 0.05,
    resamples: int = 10_000,
    seed: int = 0,
    min_items: int = MIN_PAIRED_ITEMS,
) -> MetricComparison:
    """Compare one metric's scores, keyed by item id, of a baseline and a candidate version.

    Pass/fail metrics are judged by McNemar's test (p < alpha), score metrics by whether the
    (1 − alpha) bootstrap interval of the mean difference excludes 0."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    ids = [i for i in baseline if i in candidate]
    pairs = [(_value(baseline[i], kind), _value(candidate[i], kind)) for i in ids]
    a = [x for x, y in pairs if x is not None and y is not None]
    b = [y for x, y in pairs if x is not None and y is not None]
    n = len(a)
    excluded = len(set(baseline) | set(candidate)) - n
    warnings: list[str] = []
    if n == 0:
        warnings.append("no item has a value in both versions: nothing to compare")
        return MetricComparison(
            metric=metric,
            kind=kind,
            n=0,
            excluded=excluded,
            baseline_mean=None,
            candidate_mean=None,
            wins=0,
            ties=0,
            losses=0,
            interval=None,
            mcnemar=None,
            verdict="no significant difference",
            warnings=tuple(warnings),
        )
    counts = win_tie_loss(a, b)
    interval = paired_bootstrap(a, b, resamples=resamples, confidence=1 - alpha, seed=seed)
    if n < min_items:
        warnings.append(
            f"only {n} paired items: with fewer than {min_items} the bootstrap interval tends "
            "to be too narrow"
        )
    test: McNemarResult | None = None
    verdict: Verdict = "no significant difference"
    if kind == "pass_fail":
        test = mcnemar([x == 1.0 for x in a], [y == 1.0 for y in b])
        needed = min_discordant(alpha)
        if test.wins + test.losses < needed:
            warnings.append(
                f"only {test.wins + test.losses} items changed outcome: McNemar's test needs at "
                f"least {needed} to reach significance at α = {alpha:g}"
            )
        if test.p_value < alpha:
            verdict = "better" if test.wins > test.losses else "worse"
    elif interval.low > 0:
        verdict = "better"
    elif interval.high < 0:
        verdict = "worse"
    return MetricComparison(
        metric=metric,
        kind=kind,
        n=n,
        excluded=excluded,
        baseline_mean=math.fsum(a) / n,
        candidate_mean=math.fsum(b) / n,
        wins=counts.wins,
        ties=counts.ties,
        losses=counts.losses,
        interval=interval,
        mcnemar=test,
        verdict=verdict,
        warnings=tuple(warnings),
    )


def compare(
    baseline: Mapping[str, Mapping[str, Score]],
    candidate: Mapping[str, Mapping[str, Score]],
    kinds: Mapping[str, MetricKind],
    *,
    alpha: float = 0.05,
    resamples: int = 10_000,
    seed: int = 0,
    min_items: int = MIN_PAIRED_ITEMS,
) -> dict[str, MetricComparison]:
    """Every metric of `kinds`, in its order: scores are `version[metric][item id]`. A metric
    missing from one version compares nothing (n = 0, with a warning)."""
    return {
        metric: compare_metric(
            metric,
            kind,
            baseline.get(metric, {}),
            candidate.get(metric, {}),
            alpha=alpha,
            resamples=resamples,
            seed=seed,
            min_items=min_items,
        )
        for metric, kind in kinds.items()
    }
