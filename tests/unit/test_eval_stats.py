"""Paired comparison statistics against textbook values and cases with known answers."""

from __future__ import annotations

import math

import pytest

from sluicegate.evals.evaluator import Score
from sluicegate.evals.stats import (
    cohen_kappa,
    compare,
    compare_metric,
    mcnemar,
    mcnemar_counts,
    min_discordant,
    paired_bootstrap,
    win_tie_loss,
)

# --- McNemar ----------------------------------------------------------------------------------


def test_mcnemar_exact_on_a_small_table() -> None:
    # b = 1, c = 9, n = 10: p = 2 · (C(10,0) + C(10,1)) / 2^10 = 2 · 11 / 1024 = 0.021484375
    result = mcnemar_counts(1, 9)
    assert (result.method, result.p_value, result.statistic) == ("exact", 22 / 1024, None)
    # b = 2, c = 8: p = 2 · (1 + 10 + 45) / 1024 = 0.109375
    assert mcnemar_counts(2, 8).p_value == pytest.approx(112 / 1024)
    assert mcnemar_counts(3, 3).p_value == 1.0  # capped at 1
    assert mcnemar_counts(0, 0).p_value == 1.0


def test_mcnemar_chi_square_on_textbook_tables() -> None:
    # Wikipedia's McNemar example (a = 101, b = 121, c = 59, d = 33): the uncorrected
    # statistic is (121 − 59)² / 180 = 21.36; with Edwards' correction (62 − 1)² / 180 = 20.672,
    # p = P(χ²₁ ≥ 20.672) = erfc(√(20.672 / 2)) ≈ 5.45e-6.
    result = mcnemar_counts(121, 59)
    assert result.method == "chi2"
    assert result.statistic == pytest.approx(3721 / 180)
    assert result.p_value == pytest.approx(5.450e-6, rel=1e-3)
    # Agresti, Categorical Data Analysis, presidential approval (n12 = 150, n21 = 86):
    # (|150 − 86| − 1)² / 236 = 16.818, p ≈ 4.1e-5.
    agresti = mcnemar_counts(150, 86)
    assert agresti.statistic == pytest.approx(16.818, abs=1e-3)
    assert agresti.p_value == pytest.approx(4.115e-5, rel=1e-3)
    # χ² = 3.841 is the 5 % point of χ²₁
    assert math.erfc(math.sqrt(3.841 / 2)) == pytest.approx(0.05, abs=1e-4)


def test_mcnemar_switches_to_chi_square_at_25_discordant_pairs() -> None:
    assert mcnemar_counts(10, 14).method == "exact"  # 24
    assert mcnemar_counts(10, 15).method == "chi2"  # 25
    assert mcnemar_counts(12, 13).p_value == 1.0  # |b − c| − 1 = 0


def test_mcnemar_from_paired_outcomes() -> None:
    a = [True, True, False, False, True, False]
    b = [True, False, True, True, True, False]
    result = mcnemar(a, b)
    assert (result.losses, result.wins) == (1, 2)
    with pytest.raises(ValueError, match="differ in length"):
        mcnemar([True], [True, False])


def test_min_discordant_pairs() -> None:
    # all n one way gives p = 2 / 2^n: 2/32 = 0.0625 ≥ 0.05 but 2/64 = 0.031 < 0.05
    assert min_discordant(0.05) == 6
    assert mcnemar_counts(0, 5).p_value == pytest.approx(0.0625)
    assert mcnemar_counts(0, 6).p_value == pytest.approx(0.03125)
    assert min_discordant(0.01) == 8  # 2/128 = 0.0156 ≥ 0.01, 2/256 < 0.01


# --- bootstrap and win/tie/loss ---------------------------------------------------------------


def test_bootstrap_of_identical_lists_is_zero() -> None:
    scores = [0.1, 0.5, 0.9, 0.3]
    interval = paired_bootstrap(scores, scores, resamples=500)
    assert (interval.mean_difference, interval.low, interval.high) == (0.0, 0.0, 0.0)


def test_bootstrap_of_a_constant_shift_is_that_shift() -> None:
    baseline = [0.1, 0.4, 0.2, 0.8, 0.5]
    interval = paired_bootstrap(baseline, [x + 0.25 for x in baseline], resamples=500)
    assert interval.low == pytest.approx(0.25)
    assert interval.high == pytest.approx(0.25)
    assert interval.mean_difference == pytest.approx(0.25)


def test_bootstrap_is_seeded_and_covers_the_mean() -> None:
    baseline = [0.0] * 40
    candidate = [float(i % 2) for i in range(40)]  # differences 0, 1, 0, 1, … mean 0.5
    first = paired_bootstrap(baseline, candidate, resamples=2000, seed=7)
    assert first == paired_bootstrap(baseline, candidate, resamples=2000, seed=7)
    assert first.low < 0.5 < first.high
    # standard error of the mean of a 0/1 sample with p = 0.5, n = 40: 0.5/√40 = 0.079;
    # a 95 % interval is about ±1.96 · 0.079 = ±0.155 wide
    assert first.high - first.low == pytest.approx(2 * 1.96 * 0.5 / math.sqrt(40), rel=0.15)
    narrow = paired_bootstrap(baseline, candidate, resamples=2000, confidence=0.5)
    assert narrow.high - narrow.low < first.high - first.low


def test_bootstrap_seed_changes_the_draws() -> None:
    varied = [(i * 7 % 13) / 13 for i in range(40)]
    zeros = [0.0] * 40
    seven = paired_bootstrap(zeros, varied, resamples=500, seed=7)
    assert seven == paired_bootstrap(zeros, varied, resamples=500, seed=7)
    assert seven != paired_bootstrap(zeros, varied, resamples=500, seed=8)


def test_bootstrap_draws_in_chunks_without_changing_the_answer_shape() -> None:
    interval = paired_bootstrap([0.0] * 3000, [1.0] * 3000, resamples=1500)
    assert (interval.low, interval.high, interval.resamples) == (1.0, 1.0, 1500)


def test_bootstrap_refuses_bad_parameters() -> None:
    with pytest.raises(ValueError, match="at least one"):
        paired_bootstrap([], [])
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap([1.0], [1.0], confidence=1.0)
    with pytest.raises(ValueError, match="resamples"):
        paired_bootstrap([1.0], [1.0], resamples=0)


def test_win_tie_loss() -> None:
    counts = win_tie_loss([1, 2, 3, 4], [2, 2, 1, 4.05], tolerance=0.1)
    assert (counts.wins, counts.ties, counts.losses) == (1, 2, 1)


# --- Cohen's kappa ----------------------------------------------------------------------------


def test_kappa_textbook_example() -> None:
    # Wikipedia's Cohen's kappa example: 50 proposals; both yes 20, A yes/B no 5,
    # A no/B yes 10, both no 15. pₒ = 35/50 = 0.7; A says yes 25/50, B 30/50:
    # pₑ = 0.5·0.6 + 0.5·0.4 = 0.5; κ = (0.7 − 0.5)/(1 − 0.5) = 0.4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    result = cohen_kappa(a, b)
    assert (result.n, result.agreement) == (50, pytest.approx(0.7))
    assert result.kappa == pytest.approx(0.4)


def test_weighted_kappa_by_hand() -> None:
    # a = [1, 1, 2, 3], b = [1, 2, 2, 2]. Observed pairs (1,1) (1,2) (2,2) (3,2), ¼ each;
    # shares A = (½, ¼, ¼), B = (¼, ¾, 0) → E = outer product.
    # plain: pₒ = ½, pₑ = ½·¼ + ¼·¾ = 5/16 → κ = (½ − 5/16)/(11/16) = 3/11
    # linear |i−j|: Σw·O = ½, Σw·E = 6/16 + 1/16 + (2/16 + 3/16) = ¾ → κ = 1 − ½/¾ = 1/3
    # quadratic (i−j)²: Σw·O = ½, Σw·E = 6/16 + 1/16 + (4/16 + 3/16) = 7/8 → κ = 3/7
    a, b = [1, 1, 2, 3], [1, 2, 2, 2]
    assert cohen_kappa(a, b).kappa == pytest.approx(3 / 11)
    assert cohen_kappa(a, b, weights="linear").kappa == pytest.approx(1 / 3)
    assert cohen_kappa(a, b, weights="quadratic").kappa == pytest.approx(3 / 7)
    assert cohen_kappa(a, b).agreement == 0.5


def test_kappa_edge_cases() -> None:
    assert cohen_kappa([5, 5, 5], [5, 5, 5]).kappa is None  # chance agreement is certain
    assert cohen_kappa([1, 2], [2, 1]).kappa == pytest.approx(-1.0)
    assert cohen_kappa([4.0, 3.0], [4, 3]).kappa == pytest.approx(1.0)  # judge floats vs ints
    # explicit labels put unused categories on the scale (they change weighted kappa)
    assert cohen_kappa([1, 2], [1, 2], labels=[1, 2, 3, 4, 5], weights="linear").kappa == 1.0
    with pytest.raises(ValueError, match="not among the labels"):
        cohen_kappa([1, 6], [1, 2], labels=[1, 2, 3])


# --- compare ----------------------------------------------------------------------------------


def pass_fail(outcomes: list[bool | None]) -> dict[str, Score]:
    return {
        f"item{i}": Score("exact", None if p is None else float(p), p)
        for i, p in enumerate(outcomes)
    }


def scores(values: list[float | None]) -> dict[str, Score]:
    return {f"item{i}": Score("f1", v) for i, v in enumerate(values)}


def test_compare_pass_fail_better_worse_and_undecided() -> None:
    base = pass_fail([False] * 10 + [True] * 30)
    cand = pass_fail([True] * 10 + [True] * 30)  # 10 wins, 0 losses: p = 2/1024
    result = compare_metric("exact", "pass_fail", base, cand)
    assert result.verdict == "better"
    assert result.mcnemar is not None
    assert result.mcnemar.p_value == pytest.approx(2 / 1024)
    assert (result.wins, result.ties, result.losses, result.n) == (10, 30, 0, 40)
    assert result.difference == pytest.approx(0.25)
    assert result.warnings == ()
    assert compare_metric("exact", "pass_fail", cand, base).verdict == "worse"
    few = compare_metric("exact", "pass_fail", pass_fail([False] * 5), pass_fail([True] * 5))
    assert few.verdict == "no significant difference"
    assert any("only 5 items changed outcome" in w and "at least 6" in w for w in few.warnings)
    assert any("only 5 paired items" in w for w in few.warnings)


def test_compare_score_metric_by_the_interval() -> None:
    base = scores([0.2, 0.5, 0.4, 0.9, 0.1] * 8)
    up = scores([0.3, 0.6, 0.5, 1.0, 0.2] * 8)
    result = compare_metric("f1", "score", base, up, resamples=1000)
    assert result.verdict == "better"
    assert result.mcnemar is None
    assert result.interval is not None
    assert result.interval.confidence == 0.95
    assert compare_metric("f1", "score", up, base, resamples=1000).verdict == "worse"
    same = compare_metric("f1", "score", base, base, resamples=1000)
    assert (same.verdict, same.ties) == ("no significant difference", 40)


def test_compare_pairs_items_by_id_and_counts_exclusions() -> None:
    base = scores([0.5, None, 0.5, 0.5])
    cand = scores([0.7, 0.9, None])  # item3 missing from the candidate
    result = compare_metric("f1", "score", base, cand, resamples=200)
    # only item0 has a value in both
    assert (result.n, result.excluded) == (1, 3)
    assert result.baseline_mean == 0.5
    assert result.candidate_mean == 0.7


def test_compare_every_metric() -> None:
    base = {"exact": pass_fail([True, False]), "f1": scores([0.5, 0.5])}
    cand = {"exact": pass_fail([True, True])}
    results = compare(base, cand, {"exact": "pass_fail", "f1": "score"}, resamples=100)
    assert list(results) == ["exact", "f1"]
    assert results["exact"].n == 2
    assert results["f1"].n == 0
    assert results["f1"].verdict == "no significant difference"
    assert "nothing to compare" in results["f1"].warnings[0]
    with pytest.raises(ValueError, match="alpha"):
        compare(base, cand, {"f1": "score"}, alpha=0)
