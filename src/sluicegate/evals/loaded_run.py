"""A run directory read whole, for reports and reviews, and its summary recomputed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sluicegate.evals.evaluator import EvalItem, Score
from sluicegate.evals.records import ItemResult
from sluicegate.evals.review_marks import HUMAN_METRIC, ReviewMarks, read_review
from sluicegate.evals.rundir import Manifest, RunDir
from sluicegate.evals.summary import DEFAULT_JUDGE_THRESHOLD, Metric, run_metrics, summarise


@dataclass(frozen=True, slots=True)
class LoadedRun:
    rundir: RunDir
    manifest: Manifest
    items: list[EvalItem]
    results: dict[tuple[str, str], ItemResult]
    review: ReviewMarks | None

    @property
    def prompts(self) -> list[str]:
        return self.manifest.prompt_specs

    @property
    def metrics(self) -> list[Metric]:
        return run_metrics(self.manifest, self.review)

    def human_scores(self) -> dict[str, dict[tuple[str, str], Score]]:
        """The experts' marks as scores of the `human` metric (empty without a review)."""
        if self.review is None:
            return {}
        return {
            HUMAN_METRIC: {
                key: Score(HUMAN_METRIC, float(mark.passed), mark.passed)
                for key, mark in self.review.marks.items()
                if mark.passed is not None
            }
        }

    def summarise(
        self, *, alpha: float = 0.05, judge_threshold: float = DEFAULT_JUDGE_THRESHOLD
    ) -> dict[str, Any]:
        return summarise(
            self.manifest,
            self.results,
            self.review,
            alpha=alpha,
            judge_threshold=judge_threshold,
            generated_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        )


def load_run(rundir: RunDir) -> LoadedRun:
    """Raises `RunDirError` when the directory is not a run or a file is damaged."""
    manifest = rundir.read_manifest()
    return LoadedRun(
        rundir, manifest, rundir.read_items(), rundir.load_results(), read_review(rundir)
    )
