"""The HTML report of a run: what was compared, quality per version, each candidate against
the baseline per metric with its interval and verdict, cost and latency beside quality, how far
LLM judges agree with experts, the items where versions disagree, and answers side by side.
Self-contained (see `sluicegate.reports`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sluicegate.evals import formatting as fmt
from sluicegate.evals.disagreements import find_disagreements
from sluicegate.evals.loaded_run import LoadedRun
from sluicegate.evals.review_sheet import input_text
from sluicegate.reports import Cell, HtmlReport

DISAGREEMENTS_SHOWN = 100
SIDE_BY_SIDE_SHOWN = 50
_TEXT = 400
_INPUT = 200


def write_html_report(run: LoadedRun, summary: Mapping[str, Any], path: Path) -> Path:
    return build_report(run, summary).write(path)


def build_report(run: LoadedRun, summary: Mapping[str, Any]) -> HtmlReport:
    prompts: Sequence[Mapping[str, Any]] = summary["prompts"]
    names = [p["spec"] for p in prompts]
    report = HtmlReport(
        f"Evaluation: {' vs '.join(names)}",
        subtitle=f"{summary['run']['dataset'].get('path')} · model {summary['run']['model']}",
        footer="sluicegate eval — the statistics are described in docs/evals.md",
    )
    _overview(report, summary)
    _quality(report, summary)
    if summary["comparisons"]:
        _comparisons(report, summary)
    _costs(report, prompts)
    if summary["agreement"]:
        _agreement(report, summary)
    if len(names) > 1:
        _disagreements(report, run)
    _side_by_side(report, run)
    return report


def _overview(report: HtmlReport, summary: Mapping[str, Any]) -> None:
    run = summary["run"]
    section = report.section("Run")
    prompts = summary["prompts"]
    facts: dict[str, Cell] = {
        "Dataset": f"{run['dataset'].get('path')} ({run['dataset'].get('items')} items)",
        "Dataset SHA-256": str(run["dataset"].get("sha256", ""))[:16] + "…",
        "Model": run["model"],
        "Target": run["target"],
        "Baseline": prompts[0]["spec"],
        "Candidates": ", ".join(p["spec"] for p in prompts[1:]) or None,
        "Complete": "yes" if run["complete"] else "no (errors or items not yet run)",
        "Significance level": summary["alpha"],
    }
    section.summary(facts)
    if summary["warnings"]:
        section.bullets(summary["warnings"])


def _quality(report: HtmlReport, summary: Mapping[str, Any]) -> None:
    section = report.section("Quality by version")
    section.paragraph(
        "Pass/fail metrics show the pass rate, score metrics the mean score; n counts the "
        "answers the metric could score."
    )
    prompts = summary["prompts"]
    rows: list[list[Cell]] = []
    for metric in summary["metrics"]:
        name = metric["name"]
        kind = "pass/fail" if metric["kind"] == "pass_fail" else "score"
        rows.append([name, kind, *(fmt.metric_cell(p["metrics"][name]) for p in prompts)])
    section.table(["Metric", "Kind", *(p["spec"] for p in prompts)], rows)


def _comparisons(report: HtmlReport, summary: Mapping[str, Any]) -> None:
    section = report.section("Candidates against the baseline")
    confidence = 100 * (1 - summary["alpha"])
    section.paragraph(
        f"Paired over the items both versions answered. Pass/fail metrics: McNemar's test on "
        f"the items whose outcome changed; score metrics: a paired bootstrap {confidence:g}% "
        "interval of the mean difference (candidate − baseline). Wins, ties and losses count "
        "items."
    )
    rows: list[list[Cell]] = []
    for c in summary["comparisons"]:
        kind = c["kind"]
        rows.append(
            [
                c["candidate"],
                c["metric"],
                c["n"],
                fmt.metric_value(kind, c["baseline_mean"]),
                fmt.metric_value(kind, c["candidate_mean"]),
                fmt.difference(kind, c["difference"]),
                fmt.interval(kind, c["ci"]),
                fmt.p_value(c["p_value"]),
                f"{c['wins']} / {c['ties']} / {c['losses']}",
                c["verdict"],
                "; ".join(c["warnings"]) or None,
            ]
        )
    headers = ["Version", "Metric", "n", "Baseline", "Candidate", "Difference",
               f"{confidence:g}% interval", "p (McNemar)", "W / T / L", "Verdict",
               "Warnings"]  # fmt: skip
    section.table(headers, rows)


def _costs(report: HtmlReport, prompts: Sequence[Mapping[str, Any]]) -> None:
    section = report.section("Cost, tokens and latency")
    rows: list[list[Cell]] = []
    for p in prompts:
        tokens = p["tokens"]
        cost = p["cost_usd"]
        latency = p["latency_s"]
        rows.append(
            [
                p["spec"],
                fmt.resolved(p["resolved_versions"]),
                p["answered"],
                p["errors"],
                tokens["mean_per_answer"],
                tokens["total"],
                fmt.usd(cost["total"]) if cost else None,
                fmt.usd(cost["mean_per_answer"]) if cost else None,
                fmt.seconds(latency["mean"]),
                fmt.seconds(latency["p50"]),
                fmt.seconds(latency["p95"]),
            ]
        )
    headers = ["Prompt", "Served by", "Answered", "Errors", "Tokens / answer", "Tokens",
               "Cost", "Cost / answer", "Latency mean", "p50", "p95"]  # fmt: skip
    section.table(headers, rows)
    failing = [p for p in prompts if p["error_examples"]]
    if failing:
        section.bullets(f"{p['spec']}: {'; '.join(p['error_examples'])}" for p in failing)


def _agreement(report: HtmlReport, summary: Mapping[str, Any]) -> None:
    section = report.section("LLM judges against experts")
    section.paragraph(
        "Each judge's verdict against the experts' pass/fail marks, over every answer both "
        f"rated. A 1–5 rating counts as a pass at {summary['judge_threshold']:g} or above. "
        "Cohen's kappa is agreement beyond chance: 1 is perfect, 0 no better than chance."
    )
    rows: list[list[Cell]] = [
        [
            a["metric"],
            a["threshold"],
            a["n"],
            fmt.metric_value("pass_fail", a["agreement"]),
            a["kappa"],
        ]
        for a in summary["agreement"]
    ]
    section.table(["Judge", "Pass at", "Answers", "Agreement", "Cohen's kappa"], rows)


def _disagreements(report: HtmlReport, run: LoadedRun) -> None:
    section = report.section("Where the versions disagree")
    found = find_disagreements(run.items, run.prompts, run.results, run.metrics, run.human_scores())
    if not found:
        section.paragraph("On every item every metric gave every version the same verdict.")
        return
    shown = found[:DISAGREEMENTS_SHOWN]
    more = f" (the first {len(shown)} shown)" if len(found) > len(shown) else ""
    section.paragraph(
        f"{len(found)} item(s) where a pass/fail metric differs between versions, or a score "
        f"differs by a tenth of its range or more{more}."
    )
    human = run.human_scores()
    rows: list[list[Cell]] = []
    for d in shown:
        cells: list[Cell] = [
            d.item.id,
            fmt.shorten(input_text(d.item.inputs), _INPUT),
            ", ".join(d.metrics),
        ]
        for spec, result in zip(run.prompts, d.results, strict=True):
            if result is None or not result.done:
                cells.append("(no answer)")
                continue
            verdicts = []
            for metric in d.metrics:
                score = (human.get(metric) or {}).get((d.item.id, spec)) or result.scores.get(
                    metric
                )
                verdicts.append(f"{metric}: {_score_text(score)}")
            cells.append(f"{fmt.shorten(result.answer, _TEXT)} [{'; '.join(verdicts)}]")
        rows.append(cells)
    section.table(["Item", "Input", "Differs on", *run.prompts], rows)


def _score_text(score: Any) -> str:
    if score is None:
        return "—"
    if score.passed is not None:
        return "pass" if score.passed else "fail"
    return "—" if score.value is None else f"{score.value:.3g}"


def _side_by_side(report: HtmlReport, run: LoadedRun) -> None:
    section = report.section("Answers side by side")
    shown = run.items[:SIDE_BY_SIDE_SHOWN]
    if len(run.items) > len(shown):
        section.paragraph(
            f"The first {len(shown)} of {len(run.items)} items; every answer is in "
            "results.jsonl, and `sluicegate eval review --export` lays them all out for review."
        )
    rows: list[list[Cell]] = []
    for item in shown:
        cells: list[Cell] = [item.id, fmt.shorten(input_text(item.inputs), _TEXT),
                             fmt.shorten(item.expected, _TEXT) or None]  # fmt: skip
        for spec in run.prompts:
            result = run.results.get((item.id, spec))
            if result is None:
                cells.append("(not run)")
            elif not result.done:
                cells.append(f"(no answer: {fmt.shorten(result.error, 120)})")
            else:
                cells.append(fmt.shorten(result.answer, _TEXT))
        rows.append(cells)
    section.table(["Item", "Input", "Expected", *run.prompts], rows)
