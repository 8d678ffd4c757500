"""The promotion gate: plugs published evaluation runs into `PromptAdmin`'s verifier seam.

`verifier()` (no run) is what every promotion without an evaluation meets: it refuses to move a
label listed in `prompts.require_evaluation` — whoever asks, admins included — and lets every
other move through. `verifier(run_id, metrics)` judges a promotion that cites a run with
`promotion_rules.judge_promotion`, whatever the label, and its note (the run and its verdicts)
goes into the label's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sluicegate.admin.eval_runs import check_run_id
from sluicegate.admin.eval_summary import read_gate
from sluicegate.admin.promotion_rules import judge_promotion
from sluicegate.admin.prompts import Promotion, PromotionVerifier
from sluicegate.core.errors import Conflict, NotFound
from sluicegate.core.evaluations import EvalRunStore

EVALUATION_REQUIRED = "evaluation_required"


class EvaluationGate:
    """Which labels need a passing run, which metrics a run is judged on, and where runs are."""

    def __init__(
        self,
        runs: EvalRunStore,
        *,
        required_labels: Iterable[str] = (),
        gated_metrics: Sequence[str] = (),
    ) -> None:
        self._runs = runs
        self._required = frozenset(required_labels)
        self._metrics = tuple(gated_metrics)

    def requires(self, label: str) -> bool:
        return label in self._required

    def verifier(self, run_id: str | None = None, metrics: Sequence[str] = ()) -> PromotionVerifier:
        """Judges a promotion with the run `run_id` (published), or without a run."""
        if run_id is not None:
            check_run_id(run_id, "evaluation")
        gated = tuple(metrics) or self._metrics

        async def verify(promotion: Promotion) -> str:
            if run_id is None:
                if self.requires(promotion.label):
                    raise _required(promotion)
                return ""
            run = await self._runs.get(run_id)
            if run is None:
                raise NotFound(
                    f"no evaluation run '{run_id}' has been published (`sluicegate eval "
                    "publish RUNDIR` publishes one)",
                    param="evaluation",
                )
            return judge_promotion(promotion, run_id, read_gate(run.summary), gated)

        return verify


def _required(promotion: Promotion) -> Conflict:
    name, label = promotion.name, promotion.label
    if len(promotion.after) != 1:
        why = (
            "a run allows one version, so a label in prompts.require_evaluation cannot split "
            "traffic: point it at one version, citing a run"
        )
    else:
        why = (
            f"publish a run whose baseline is {name}@{label} and whose candidate is "
            f"{name}@v{promotion.after[0].version}, and cite it (`sluicegate prompts promote "
            f"{name} {promotion.after[0].version} --to {label} --require-eval RUN`, or "
            "`evaluation` in the admin API)"
        )
    return Conflict(
        f"label '{label}' of '{name}' moves only with a passing evaluation "
        f"(prompts.require_evaluation): {why}",
        code=EVALUATION_REQUIRED,
        param="evaluation",
    )
