"""The run engine: every dataset item through every prompt, scored, appended as it finishes.

Work is item-major (item 1 with each prompt, then item 2...), so an interrupted run holds
complete pairs for the items it reached. At most `concurrency` requests are in flight; each
answer is scored by every evaluator (at once: a judge call need not wait for another), then
appended to `results.jsonl`. Pairs already answered in the run directory are skipped, so
running the same command again resumes. An authentication or not-found error (401, 403, 404)
cannot be cured by asking again for the next item, and ten failed items in a row mean the
endpoint is down: in both cases the run stops sending and says why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sluicegate.evals.client import PROMPT_VERSION_HEADER, EvalClient, answer_text
from sluicegate.evals.dataset import Dataset
from sluicegate.evals.evaluator import EvalItem, Evaluator, Score
from sluicegate.evals.prices import PriceTable
from sluicegate.evals.prompt_requests import PreparedPrompt
from sluicegate.evals.records import ItemResult, Usage
from sluicegate.evals.rundir import RunDir, finished_pairs
from sluicegate.prompts.errors import PromptRenderError
from sluicegate.prompts.inputs import PromptInputError

FATAL_STATUSES = frozenset({401, 403, 404})
"""Statuses that every later request would get too."""
FAILURES_IN_A_ROW = 10
"""After this many failed items in a row (each after its retries) the endpoint is down or
refuses everything: stop rather than fail the rest one by one."""

Now = Callable[[], datetime]


class Progress(Protocol):
    """Told what the run does, for a progress bar (or a test)."""

    def started(self, total: int, done_before: int) -> None: ...

    def advanced(self, result: ItemResult) -> None: ...


class NoProgress:
    def started(self, total: int, done_before: int) -> None:
        return None

    def advanced(self, result: ItemResult) -> None:
        return None


@dataclass(frozen=True, slots=True)
class RunSettings:
    model: str
    concurrency: int = 8
    prices: PriceTable | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"--concurrency must be at least 1, got {self.concurrency}")


@dataclass(frozen=True, slots=True)
class RunOutcome:
    pairs: int
    """(item, prompt) pairs in the experiment."""
    done_before: int
    """Answered in an earlier run of the same directory, so not sent again."""
    answered: int
    failed: int
    stopped: str | None = None
    """Why the run stopped before the end (a 401, 403 or 404), or None."""


@dataclass(slots=True)
class _State:
    answered: int = 0
    failed: int = 0
    in_a_row: int = 0
    stopped: str | None = None

    def record(self, prompt: PreparedPrompt, result: ItemResult) -> None:
        if result.done:
            self.answered += 1
            self.in_a_row = 0
            return
        self.failed += 1
        self.in_a_row += 1
        if self.stopped is not None:
            return
        if result.status in FATAL_STATUSES:
            self.stopped = f"{prompt.spec.text}: {result.error}"
        elif self.in_a_row >= FAILURES_IN_A_ROW:
            self.stopped = f"{self.in_a_row} requests in a row failed (the last: {result.error})"


async def run_evaluation(
    dataset: Dataset,
    prompts: Sequence[PreparedPrompt],
    evaluators: Sequence[Evaluator],
    client: EvalClient,
    rundir: RunDir,
    settings: RunSettings,
    *,
    progress: Progress | None = None,
    now: Now = lambda: datetime.now(UTC),
) -> RunOutcome:
    """Answer and score every pair not yet answered in `rundir` (its manifest already written)."""
    progress = progress or NoProgress()
    finished = finished_pairs(rundir.load_results(repair=True).values())
    pairs = len(dataset.items) * len(prompts)
    jobs = [
        (item, prompt)
        for item in dataset.items
        for prompt in prompts
        if (item.id, prompt.spec.text) not in finished
    ]
    progress.started(pairs, pairs - len(jobs))
    state = _State()
    queue = iter(jobs)

    async def worker() -> None:
        for item, prompt in _until_stopped(queue, state):
            result = await answer_one(item, prompt, evaluators, client, settings, now)
            rundir.append(result)
            state.record(prompt, result)
            progress.advanced(result)

    workers = min(settings.concurrency, len(jobs))
    await asyncio.gather(*(worker() for _ in range(workers)))
    return RunOutcome(pairs, pairs - len(jobs), state.answered, state.failed, state.stopped)


def _until_stopped(
    jobs: Iterator[tuple[EvalItem, PreparedPrompt]], state: _State
) -> Iterator[tuple[EvalItem, PreparedPrompt]]:
    for job in jobs:
        if state.stopped is not None:
            return
        yield job


async def answer_one(
    item: EvalItem,
    prompt: PreparedPrompt,
    evaluators: Sequence[Evaluator],
    client: EvalClient,
    settings: RunSettings,
    now: Now,
) -> ItemResult:
    """Send one item through one prompt and score the answer; never raises for the item's or
    the endpoint's fault (that is recorded as the result's error)."""
    try:
        body = prompt.body(item, settings.model)
    except (PromptInputError, PromptRenderError) as error:
        return ItemResult(item.id, prompt.spec.text, None, f"cannot render: {error}",
                          finished_at=_stamp(now))  # fmt: skip
    reply = await client.chat(body)
    usage = Usage.from_reply(reply.body.get("usage")) if reply.body is not None else None
    cost = (
        settings.prices.cost(settings.model, usage)
        if settings.prices is not None and usage is not None
        else None
    )
    answer, problem = answer_text(reply.body) if reply.error is None else (None, reply.error)
    resolved = reply.headers.get(PROMPT_VERSION_HEADER) or prompt.fixed_version
    scores = await score_answer(evaluators, item, answer) if answer is not None else {}
    return ItemResult(
        item=item.id,
        prompt=prompt.spec.text,
        answer=answer,
        error=problem if answer is None else None,
        status=reply.status,
        latency_s=round(reply.latency_s, 6),
        attempts=reply.attempts,
        usage=usage,
        cost_usd=cost,
        resolved_version=resolved,
        request_id=reply.headers.get("x-request-id"),
        scores=scores,
        finished_at=_stamp(now),
    )


async def score_answer(
    evaluators: Sequence[Evaluator], item: EvalItem, answer: str
) -> dict[str, Score]:
    """Every evaluator's score; an evaluator that raises gives a score of None with the
    reason, so one broken metric does not lose the answer."""
    scores = await asyncio.gather(*(_score(e, item, answer) for e in evaluators))
    return {score.metric: score for score in scores}


async def _score(evaluator: Evaluator, item: EvalItem, answer: str) -> Score:
    name = evaluator.name
    try:
        score = await evaluator.evaluate(item, answer)
    except Exception as error:
        return Score(name, None, reason=f"evaluator failed: {type(error).__name__}: {error}")
    if score.metric != name:
        return Score(name, score.value, score.passed, score.reason)
    return score


def _stamp(now: Now) -> str:
    return now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
