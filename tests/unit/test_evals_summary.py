"""The summary's arithmetic on a small run whose every figure is worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.evals.evaluator import Score
from sluicegate.evals.records import ItemResult, Usage
from sluicegate.evals.review_marks import Mark, ReviewMarks
from sluicegate.evals.rundir import Manifest
from sluicegate.evals.summary import judge_passed, summarise

A, B = "qa@v1", "qa@v2"

MANIFEST = Manifest(
    dataset={"path": "d.jsonl", "sha256": "ab" * 32, "items": 5},
    prompts=(
        {"spec": A, "kind": "registry", "name": "qa", "version": 1},
        {"spec": B, "kind": "registry", "name": "qa", "version": 2},
    ),
    evaluators=(
        {"spec": "exact", "name": "exact", "kind": "pass_fail"},
        {"spec": "f1", "name": "f1", "kind": "score"},
        {"spec": "judge:groundedness", "name": "judge:groundedness", "kind": "score"},
    ),
    model="m",
    target="http://gw",
    created_at="2026-11-03T09:00:00Z",
    options={},
)


def answered(
    item: str, prompt: str, exact: bool, f1: float, judge: float, latency: float
) -> ItemResult:
    scores = {
        "exact": Score("exact", float(exact), exact),
        "f1": Score("f1", f1),
        "judge:groundedness": Score("judge:groundedness", judge),
    }
    return ItemResult(
        item, prompt, f"answer {item}", None, 200, latency, 1, Usage(10, 5), 0.001,
        f"{prompt}", None, scores,
    )  # fmt: skip


RESULTS = {
    (r.item, r.prompt): r
    for r in [
        answered("i1", A, True, 1.0, 5, 0.1),
        answered("i2", A, False, 0.5, 2, 0.2),
        answered("i3", A, False, 0.0, 1, 0.3),
        answered("i4", A, False, 0.0, 4, 0.4),
        answered("i1", B, True, 1.0, 5, 0.2),
        answered("i2", B, True, 1.0, 5, 0.2),
        answered("i3", B, True, 0.5, 3, 0.2),
        ItemResult("i4", B, None, "HTTP 500: overloaded", 500),
    ]
}

MARKS = ReviewMarks(
    {
        ("i1", A): Mark(True),
        ("i2", A): Mark(False, "wrong"),
        ("i3", A): Mark(False),
        ("i4", A): Mark(True),
        ("i1", B): Mark(True),
        ("i2", B): Mark(True),
        ("i3", B): Mark(True),
        ("i5", B): Mark(None, "comment only"),
    }
)


@pytest.fixture(scope="module")
def summary() -> dict[str, Any]:
    return summarise(MANIFEST, RESULTS, MARKS, resamples=2_000)


def test_per_prompt_figures(summary: dict[str, Any]) -> None:
    base, cand = summary["prompts"]
    assert (base["role"], base["answered"], base["errors"], base["pending"]) == (
        "baseline", 4, 0, 1,
    )  # fmt: skip
    assert (cand["role"], cand["answered"], cand["errors"], cand["pending"]) == (
        "candidate", 3, 1, 1,
    )  # fmt: skip
    assert cand["error_examples"] == ["HTTP 500: overloaded"]
    assert base["resolved_versions"] == {A: 4}
    assert base["latency_s"]["mean"] == pytest.approx(0.25)
    assert base["latency_s"]["p50"] == pytest.approx(0.25)
    assert base["latency_s"]["p95"] == pytest.approx(0.385)
    assert base["tokens"] == {
        "prompt": 40, "completion": 20, "total": 60, "mean_per_answer": 15.0,
        "answers_with_usage": 4,
    }  # fmt: skip
    assert base["cost_usd"]["total"] == pytest.approx(0.004)
    assert cand["cost_usd"]["mean_per_answer"] == pytest.approx(0.001)
    exact = base["metrics"]["exact"]
    assert (exact["n"], exact["passes"], exact["mean"]) == (4, 1, 0.25)
    assert cand["metrics"]["f1"]["mean"] == pytest.approx(2.5 / 3)
    assert cand["metrics"]["human"] == {
        "kind": "pass_fail", "n": 3, "not_scored": None, "passes": 3, "mean": 1.0,
    }  # fmt: skip


def comparison(summary: dict[str, Any], metric: str) -> dict[str, Any]:
    (found,) = [c for c in summary["comparisons"] if c["metric"] == metric]
    return found


def test_pass_fail_metrics_are_compared_with_mcnemar(summary: dict[str, Any]) -> None:
    exact = comparison(summary, "exact")
    # Paired: i1..i3 (i4 has no candidate answer). Outcomes changed on i2 and i3, both wins.
    assert (exact["n"], exact["excluded"]) == (3, 1)
    assert (exact["wins"], exact["ties"], exact["losses"]) == (2, 1, 0)
    assert exact["baseline_mean"] == pytest.approx(1 / 3)
    assert exact["candidate_mean"] == 1.0
    assert exact["test"] == "mcnemar-exact"
    assert exact["p_value"] == pytest.approx(0.5)  # 2 · C(2,0) / 2²
    assert exact["verdict"] == "no significant difference"
    assert any("McNemar's test needs at least 6" in w for w in exact["warnings"])


def test_score_metrics_are_compared_with_a_bootstrap_interval(summary: dict[str, Any]) -> None:
    f1 = comparison(summary, "f1")
    assert f1["difference"] == pytest.approx(1 / 3)  # differences 0, 0.5, 0.5
    assert f1["test"] == "paired-bootstrap"
    assert f1["p_value"] is None
    low, high = f1["ci"]
    assert 0 <= low <= 1 / 3 <= high <= 0.5
    assert (f1["wins"], f1["ties"], f1["losses"]) == (2, 1, 0)
    assert any("only 3 paired items" in w for w in f1["warnings"])


def test_judges_are_checked_against_the_experts(summary: dict[str, Any]) -> None:
    (row,) = summary["agreement"]
    # Judge pass at >= 4: A T F F T, B T T F; experts: A T F F T, B T T T.
    assert row["metric"] == "judge:groundedness"
    assert row["threshold"] == 4.0
    assert row["n"] == 7
    assert row["agreement"] == pytest.approx(6 / 7)
    # p_o = 42/49, p_e = (4/7)(5/7) + (3/7)(2/7) = 26/49, kappa = 16/23.
    assert row["kappa"] == pytest.approx(16 / 23)
    assert comparison(summary, "human")["wins"] == 2


def test_the_gate_block_and_warnings(summary: dict[str, Any]) -> None:
    gate = summary["gate"]
    assert gate["complete"] is False
    assert gate["baseline"] == {"spec": A, "resolved_versions": [A]}
    (candidate,) = gate["candidates"]
    assert candidate["spec"] == B
    assert candidate["resolved_versions"] == [B]
    assert candidate["worse_on"] == []
    assert set(candidate["verdicts"]) == {"exact", "f1", "judge:groundedness", "human"}
    assert f"{B}: 1 item(s) got no answer (HTTP 500: overloaded)" in summary["warnings"]
    assert f"{A}: 1 item(s) not run yet (resume the run)" in summary["warnings"]


def test_a_worse_candidate_is_named_in_the_gate() -> None:
    items = [f"i{n}" for n in range(40)]
    results = {}
    for item in items:
        results[(item, A)] = answered(item, A, True, 1.0, 5, 0.1)
        results[(item, B)] = answered(item, B, False, 0.0, 1, 0.1)
    manifest = Manifest(
        {"path": "d", "sha256": "x", "items": 40}, MANIFEST.prompts, MANIFEST.evaluators,
        "m", "t", "", {},
    )  # fmt: skip
    summary = summarise(manifest, results, resamples=500)
    (candidate,) = summary["gate"]["candidates"]
    assert candidate["worse_on"] == ["exact", "f1", "judge:groundedness"]
    assert summary["gate"]["complete"] is True
    assert comparison(summary, "exact")["test"] == "mcnemar-chi2"
    assert summary["agreement"] == []


def test_a_judge_verdict_from_a_rating_or_its_own() -> None:
    assert judge_passed(Score("j", 4.0), 4.0) is True
    assert judge_passed(Score("j", 3.0), 4.0) is False
    assert judge_passed(Score("j", 1.0, True), 4.0) is True
    assert judge_passed(Score("j", None), 4.0) is None
