"""The promotion gate's rules on hand-built summaries: what a run must show before a label
moves, and refusals that say exactly what is missing."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.admin.eval_summary import SUMMARY_FORMAT, read_gate
from sluicegate.admin.promotion_rules import judge_promotion
from sluicegate.admin.prompts import Promotion
from sluicegate.core.errors import Conflict, InvalidRequest
from sluicegate.core.prompts import LabelTarget
from sluicegate.evals.summary import SUMMARY_FORMAT as TOOL_FORMAT

RUN = "ev-0123456789abcdef"
SAME = "no significant difference"


def candidate(
    spec: str = "support@v8", resolved: tuple[str, ...] = ("support@v8",), **verdicts: str
) -> dict[str, Any]:
    verdicts = verdicts or {"f1": "better", "long": SAME}
    return {
        "spec": spec,
        "resolved_versions": list(resolved),
        "verdicts": verdicts,
        "worse_on": [m for m, v in verdicts.items() if v == "worse"],
        "better_on": [m for m, v in verdicts.items() if v == "better"],
    }


def summary(
    *candidates: dict[str, Any],
    baseline: tuple[str, ...] = ("support@v7",),
    complete: bool = True,
    metrics: tuple[str, ...] = ("f1", "long"),
    comparisons: list[dict[str, Any]] | None = None,
    prompts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "format": SUMMARY_FORMAT,
        "metrics": [{"name": m, "kind": "score", "spec": m} for m in metrics],
        "prompts": prompts or [],
        "comparisons": comparisons or [],
        "gate": {
            "complete": complete,
            "alpha": 0.05,
            "baseline": {"spec": "support@production", "resolved_versions": list(baseline)},
            "candidates": list(candidates) or [candidate()],
        },
    }


def move(after: int | tuple[LabelTarget, ...] = 8, before: tuple[int, ...] = (7,)) -> Promotion:
    targets = (LabelTarget(after),) if isinstance(after, int) else after
    return Promotion("support", "production", tuple(LabelTarget(b) for b in before), targets, "cli")


def judge(promotion: Promotion, data: dict[str, Any], metrics: tuple[str, ...] = ()) -> str:
    return judge_promotion(promotion, RUN, read_gate(data), metrics)


def refused(promotion: Promotion, data: dict[str, Any], metrics: tuple[str, ...] = ()) -> str:
    with pytest.raises(Conflict) as raised:
        judge(promotion, data, metrics)
    assert raised.value.code == "evaluation_failed"
    assert raised.value.status == 409
    assert raised.value.param == "evaluation"
    return raised.value.message


def test_the_format_is_the_tools() -> None:
    assert SUMMARY_FORMAT == TOOL_FORMAT


def test_a_passing_run_allows_the_move_and_the_note_names_run_and_verdicts() -> None:
    note = judge(move(), summary())
    assert note == (f"evaluation {RUN}: support@v8 against support@v7: f1 better, long {SAME}")


def test_an_incomplete_run_is_refused_saying_what_is_missing() -> None:
    prompts = [
        {"spec": "support@production", "pending": 0, "errors": 2},
        {"spec": "support@v8", "pending": 5, "errors": 0},
    ]
    message = refused(move(), summary(complete=False, prompts=prompts))
    assert f"evaluation {RUN} is not complete" in message
    assert "support@production: 2 item(s) without an answer" in message
    assert "support@v8: 5 item(s) not run yet" in message


@pytest.mark.parametrize(
    ("baseline", "shown"),
    [
        (("support@v6",), "which resolved to support@v6"),
        (("support@v6", "support@v7"), "which resolved to support@v6, support@v7"),
        ((), "which resolved to nothing"),
        (("support.prompty#abcdef",), "which resolved to support.prompty#abcdef"),
    ],
)
def test_the_baseline_must_be_exactly_what_the_label_serves(
    baseline: tuple[str, ...], shown: str
) -> None:
    message = refused(move(), summary(baseline=baseline))
    assert shown in message
    assert "label 'production' of 'support' points at v7" in message
    assert "--prompt support@production (or support@v7) as the baseline" in message


def test_a_label_that_splits_traffic_is_refused_with_the_reason() -> None:
    message = refused(move(before=(6, 7)), summary())
    assert "splits traffic between v6 (1), v7 (1)" in message
    assert "a run's baseline is one version" in message


def test_a_split_cannot_be_the_new_target() -> None:
    message = refused(move(after=(LabelTarget(8, 90), LabelTarget(7, 10))), summary())
    assert "would split traffic between v8 (90), v7 (10)" in message


def test_a_new_label_needs_no_baseline() -> None:
    note = judge(move(before=()), summary(baseline=("support@v1",)))
    assert note.startswith(f"evaluation {RUN}: support@v8 against no baseline: f1 better")


def test_the_candidate_must_have_resolved_to_exactly_the_version() -> None:
    data = summary(
        candidate("support@staging", ("support@v8", "support@v9")),
        candidate("v8.prompty", ("v8.prompty#0123",)),
    )
    message = refused(move(), data)
    assert "no candidate that resolved to exactly support@v8" in message
    assert "support@staging → support@v8, support@v9" in message
    assert "v8.prompty → v8.prompty#0123" in message
    assert "--prompt support@v8 as a candidate" in message


def test_another_prompts_version_is_not_the_candidate() -> None:
    message = refused(move(), summary(candidate("triage@v8", ("triage@v8",))))
    assert "no candidate that resolved to exactly support@v8" in message


def test_a_worse_gated_metric_refuses_with_its_figures() -> None:
    comparisons = [
        {"candidate": "support@v8", "metric": "long", "n": 30, "baseline_mean": 1.0,
         "candidate_mean": 0.25},
    ]  # fmt: skip
    data = summary(candidate(f1="better", long="worse"), comparisons=comparisons)
    message = refused(move(), data)
    assert message == (
        "support@v8 (support@v8) is significantly worse than the baseline support@production "
        f"in evaluation {RUN}: long 1 → 0.25, n=30"
    )


def test_only_gated_metrics_count() -> None:
    data = summary(candidate(f1="better", long="worse"))
    assert judge(move(), data, ("f1",)).endswith(": f1 better")
    refused(move(), data)  # every metric of the run when none is named
    refused(move(), data, ("long", "f1"))


def test_a_gated_metric_without_a_verdict_is_missing() -> None:
    message = refused(move(), summary(), ("f1", "judge", "human"))
    assert "no verdict on metrics judge, human for support@v8 (its metrics: f1, long)" in message


def test_every_metric_of_the_run_must_have_a_verdict() -> None:
    data = summary(candidate(f1="better"), metrics=("f1", "long"))
    assert "no verdict on metric long" in refused(move(), data)


def test_a_comparison_of_no_items_is_no_evidence() -> None:
    comparisons = [{"candidate": "support@v8", "metric": "long", "n": 0}]
    message = refused(move(), summary(comparisons=comparisons))
    assert "compared no item on metric long for support@v8" in message


def test_a_run_without_metrics_judges_nothing() -> None:
    data = summary(candidate(), metrics=())
    data["gate"]["candidates"][0]["verdicts"] = {}
    assert "measured no metric" in refused(move(), data)


def test_every_candidate_of_the_version_is_judged() -> None:
    data = summary(candidate("support@v8"), candidate("support@staging", long="worse", f1=SAME))
    assert "(support@staging) is significantly worse" in refused(move(), data)


@pytest.mark.parametrize(
    ("change", "param"),
    [
        (lambda s: s.update(format="other/1"), "format"),
        (lambda s: s.pop("gate"), "gate"),
        (lambda s: s["gate"].update(complete="yes"), "gate.complete"),
        (lambda s: s["gate"].update(alpha=2), "gate.alpha"),
        (lambda s: s["gate"]["baseline"].pop("spec"), "gate.baseline.spec"),
        (lambda s: s["gate"].update(candidates={}), "gate.candidates"),
        (lambda s: s["gate"]["candidates"][0].update(resolved_versions=[3]),
         "gate.candidates[0].resolved_versions[0]"),
        (lambda s: s["gate"]["candidates"][0]["verdicts"].update(f1="great"),
         "gate.candidates[0].verdicts.f1"),
        (lambda s: s.update(metrics=[{"kind": "score"}]), "metrics[0].name"),
    ],
)  # fmt: skip
def test_a_summary_of_the_wrong_shape_names_the_field(change: Any, param: str) -> None:
    data = summary()
    change(data)
    with pytest.raises(InvalidRequest) as raised:
        read_gate(data)
    assert raised.value.param == param
    assert "evaluation summary" in raised.value.message


def test_the_prompts_of_a_run_come_from_registry_specs_and_resolved_versions() -> None:
    data = summary(candidate("local.prompty", ("local.prompty#abc",)), baseline=("support@v7",))
    data["prompts"] = [
        {"spec": "triage@v2", "kind": "registry", "name": "triage"},
        {"spec": "local.prompty", "kind": "file", "name": "local.prompty"},
    ]
    gate = read_gate(data)
    assert gate.prompts == ("support", "triage")
    assert gate.candidate_versions == ("local.prompty#abc",)
