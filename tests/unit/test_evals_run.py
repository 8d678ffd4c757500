"""The run engine and its run directory: what is sent, what is recorded, and resuming."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sluicegate.evals.client import Reply
from sluicegate.evals.dataset import Dataset, parse_dataset
from sluicegate.evals.evaluator import EvalItem, MetricKind, Score
from sluicegate.evals.prices import PriceTable
from sluicegate.evals.prompt_requests import PreparedPrompt, PromptLoadError, check_renders, prepare
from sluicegate.evals.prompt_specs import parse_prompt_spec
from sluicegate.evals.records import ItemResult
from sluicegate.evals.run import FAILURES_IN_A_ROW, RunSettings, run_evaluation
from sluicegate.evals.rundir import Manifest, RunDir, RunDirError

PROMPTY = """---
name: qa
model:
  parameters:
    max_tokens: 5
    temperature: 0.2
    model: ignored
inputs:
  question:
    type: string
---
system:
Answer briefly.

user:
{{question}}
"""


def dataset(count: int = 3) -> Dataset:
    lines = "\n".join(json.dumps({"question": f"q{i}", "expected": f"a{i}"}) for i in range(count))
    return parse_dataset(lines.encode(), "d.jsonl")


def registry(text: str) -> PreparedPrompt:
    return prepare(parse_prompt_spec(text))


class FakeClient:
    """Answers each chat request with `answer(body)`; records the bodies."""

    def __init__(self, answer: Any = None) -> None:
        self.bodies: list[dict[str, Any]] = []
        self._answer = answer or (lambda body: ok(f"answer to {question(body)}"))

    async def chat(self, body: Mapping[str, Any]) -> Reply:
        self.bodies.append(dict(body))
        reply: Reply = self._answer(body)
        return reply


def question(body: Mapping[str, Any]) -> str:
    if "prompt" in body:
        return str(body["prompt"]["variables"]["question"])
    return str(body["messages"][-1]["content"])


def ok(text: str, *, version: str | None = None, usage: dict[str, Any] | None = None) -> Reply:
    body = {
        "choices": [{"message": {"role": "assistant", "content": text}}],
        "usage": usage or {"prompt_tokens": 10, "completion_tokens": 4},
    }
    headers = {"x-sluicegate-prompt-version": version} if version else {}
    return Reply(200, body, headers, 0.125, 1, None)


def failed(status: int, message: str = "nope") -> Reply:
    return Reply(status, {"error": {"message": message}}, {}, 0.01, 1, f"HTTP {status}: {message}")


class Length:
    """A pass/fail metric: the answer has more than `words` words."""

    name = "long"
    kind: MetricKind = "pass_fail"

    async def evaluate(self, item: EvalItem, answer: str) -> Score:
        return Score(self.name, 1.0 if len(answer.split()) > 3 else 0.0, len(answer.split()) > 3)


class Broken:
    name = "broken"
    kind: MetricKind = "score"

    async def evaluate(self, item: EvalItem, answer: str) -> Score:
        raise RuntimeError("judge endpoint down")


def manifest(data: Dataset, prompts: list[PreparedPrompt], **changes: Any) -> Manifest:
    fields: dict[str, Any] = {
        "dataset": {"path": data.source, "sha256": data.sha256, "items": len(data)},
        "prompts": tuple(p.describe() for p in prompts),
        "evaluators": ({"spec": "long", "name": "long", "kind": "pass_fail"},),
        "model": "m",
        "target": "http://x",
        "created_at": "2026-11-03T09:00:00Z",
        "options": {},
    }
    fields.update(changes)
    return Manifest(**fields)


def fixed_now() -> datetime:
    return datetime(2026, 11, 3, 9, 0, 0, tzinfo=UTC)


async def run(
    tmp: Path, client: FakeClient, prompts: list[PreparedPrompt], data: Dataset, **settings: Any
) -> Any:
    rundir = RunDir(tmp / "run")
    rundir.start(manifest(data, prompts), data.items)
    return await run_evaluation(
        data, prompts, [Length(), Broken()], client,  # type: ignore[arg-type]
        rundir, RunSettings("m", **settings), now=fixed_now,
    )  # fmt: skip


async def test_every_item_goes_through_every_prompt_and_is_recorded(tmp_path: Path) -> None:
    data = dataset(3)
    prompts = [registry("qa@v3"), registry("qa@production")]
    client = FakeClient(
        lambda body: ok(
            f"a long answer to {question(body)}",
            version="qa@v3" if "version" in body["prompt"] else "qa@v4",
        )
    )
    prices = PriceTable.model_validate({"models": {"*": {"input_per_1m": 1, "output_per_1m": 2}}})
    outcome = await run(tmp_path, client, prompts, data, concurrency=2, prices=prices)
    assert (outcome.pairs, outcome.done_before, outcome.answered, outcome.failed) == (6, 0, 6, 0)
    assert client.bodies[0] == {
        "model": "m",
        "messages": [],
        "prompt": {"name": "qa", "version": 3, "variables": {"question": "q0"}},
    }
    assert client.bodies[1]["prompt"] == {
        "name": "qa",
        "label": "production",
        "variables": {"question": "q0"},
    }
    results = RunDir(tmp_path / "run").load_results()
    assert len(results) == 6
    record = results[("line-2", "qa@production")]
    assert record.answer == "a long answer to q1"
    assert record.resolved_version == "qa@v4"
    assert record.usage is not None
    assert record.usage.total_tokens == 14
    assert record.cost_usd == pytest.approx((10 * 1 + 4 * 2) / 1e6)
    assert record.latency_s == 0.125
    assert record.finished_at == "2026-11-03T09:00:00.000Z"
    assert record.scores["long"].passed is True
    broken = record.scores["broken"]
    assert broken.value is None
    assert broken.reason == "evaluator failed: RuntimeError: judge endpoint down"


async def test_a_local_prompty_is_rendered_here_with_its_parameters(tmp_path: Path) -> None:
    path = tmp_path / "qa.prompty"
    path.write_text(PROMPTY)
    prompt = prepare(parse_prompt_spec(str(path)))
    client = FakeClient()
    await run(tmp_path, client, [prompt], dataset(1))
    assert client.bodies == [
        {
            "max_tokens": 5,
            "temperature": 0.2,
            "model": "m",
            "messages": [
                {"role": "system", "content": "Answer briefly."},
                {"role": "user", "content": "q0"},
            ],
        }
    ]
    (record,) = RunDir(tmp_path / "run").load_results().values()
    assert prompt.sha256 is not None
    assert record.resolved_version == f"qa.prompty#{prompt.sha256[:12]}"


def test_items_a_prompty_cannot_render_stop_the_run_before_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "qa.prompty"
    path.write_text(PROMPTY)
    prompt = prepare(parse_prompt_spec(str(path)))
    data = parse_dataset(b'{"question": "ok"}\n{"query": "typo"}\n{"q": 1}', "d")
    with pytest.raises(PromptLoadError) as raised:
        check_renders([prompt], data.items)
    message = str(raised.value)
    assert "cannot render 2 of 3 item(s)" in message
    assert "item line-2: missing required input(s): question; undeclared input(s): query" in message


async def test_resuming_sends_only_missing_and_failed_pairs(tmp_path: Path) -> None:
    data = dataset(4)
    prompts = [registry("qa@v1"), registry("qa@v2")]
    calls = 0

    def flaky(body: Mapping[str, Any]) -> Reply:
        nonlocal calls
        calls += 1
        if question(body) == "q1" and body["prompt"]["version"] == 2:
            return failed(500, "overloaded")
        return ok("fine answer here now")

    first = await run(tmp_path, FakeClient(flaky), prompts, data)
    assert (first.answered, first.failed) == (7, 1)
    again = FakeClient()
    second = await run(tmp_path, again, prompts, data)
    assert (second.done_before, second.answered, second.failed) == (7, 1, 0)
    assert [(b["prompt"]["version"], question(b)) for b in again.bodies] == [(2, "q1")]
    results = RunDir(tmp_path / "run").load_results()
    assert all(r.done for r in results.values())
    assert len(results) == 8


async def test_an_interrupted_run_keeps_what_finished(tmp_path: Path) -> None:
    """Cancel the run (as Ctrl+C does) once two answers are in; the rest is sent on resume."""
    data = dataset(5)
    prompts = [registry("qa@v1")]
    rundir = RunDir(tmp_path / "run")
    rundir.start(manifest(data, prompts), data.items)
    release = asyncio.Event()

    async def slow_after_two(body: Mapping[str, Any]) -> Reply:
        if question(body) not in ("q0", "q1"):
            await release.wait()
        return ok("a fine answer indeed")

    class Client:
        async def chat(self, body: Mapping[str, Any]) -> Reply:
            return await slow_after_two(body)

    two_in = asyncio.Event()

    class Watch:
        def started(self, total: int, done_before: int) -> None:
            return None

        def advanced(self, result: ItemResult) -> None:
            if len(rundir.load_results()) >= 2:
                two_in.set()

    settings = RunSettings("m", concurrency=1)
    client: Any = Client()
    task = asyncio.create_task(
        run_evaluation(data, prompts, [Length()], client, rundir, settings, progress=Watch())
    )
    await two_in.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert set(rundir.load_results()) == {("line-1", "qa@v1"), ("line-2", "qa@v1")}
    resumed = FakeClient()
    outcome = await run_evaluation(
        data,
        prompts,
        [Length()],
        resumed,
        rundir,
        RunSettings("m"),  # type: ignore[arg-type]
    )
    assert (outcome.done_before, outcome.answered) == (2, 3)
    assert sorted(question(b) for b in resumed.bodies) == ["q2", "q3", "q4"]


async def test_a_401_stops_the_run(tmp_path: Path) -> None:
    client = FakeClient(lambda body: failed(401, "invalid key"))
    outcome = await run(tmp_path, client, [registry("qa@v1")], dataset(30), concurrency=1)
    assert outcome.stopped == "qa@v1: HTTP 401: invalid key"
    assert len(client.bodies) == 1


async def test_failures_in_a_row_stop_the_run_and_a_success_resets_the_count(
    tmp_path: Path,
) -> None:
    replies = [failed(500)] * (FAILURES_IN_A_ROW - 1) + [ok("x")] + [failed(503)] * 50
    client = FakeClient(lambda body: replies.pop(0))
    outcome = await run(tmp_path, client, [registry("qa@v1")], dataset(40), concurrency=1)
    assert len(client.bodies) == 2 * FAILURES_IN_A_ROW
    assert (
        outcome.stopped
        == f"{FAILURES_IN_A_ROW} requests in a row failed (the last: HTTP 503: nope)"
    )


async def test_a_reply_without_text_is_a_failure_with_the_reason(tmp_path: Path) -> None:
    refusal = Reply(200, {"choices": [{"message": {"content": None, "refusal": "no"}}]},
                    {}, 0.1, 1, None)  # fmt: skip
    await run(tmp_path, FakeClient(lambda body: refusal), [registry("qa@v1")], dataset(1))
    (record,) = RunDir(tmp_path / "run").load_results().values()
    assert record.error == "the model refused: no"
    assert not record.done


def test_resuming_with_another_experiment_is_refused(tmp_path: Path) -> None:
    data = dataset(2)
    prompts = [registry("qa@v1"), registry("qa@v2")]
    rundir = RunDir(tmp_path / "run")
    rundir.start(manifest(data, prompts), data.items)
    rundir.start(manifest(data, prompts), data.items)  # the same: resumes
    cases = {
        "the dataset differs": manifest(dataset(3), prompts),
        "the prompts differ (qa@v1, qa@v2 then, qa@v1 now)": manifest(data, prompts[:1]),
        "the evaluators differ (long then, exact now)": manifest(
            data, prompts, evaluators=({"spec": "exact", "name": "exact", "kind": "pass_fail"},)
        ),
        "the model differs (m then, other now)": manifest(data, prompts, model="other"),
    }
    for message, other in cases.items():
        with pytest.raises(RunDirError) as raised:
            rundir.start(other, data.items)
        assert message in str(raised.value)
        assert "use a new --out directory" in str(raised.value)


def test_a_changed_prompty_file_is_another_experiment(tmp_path: Path) -> None:
    path = tmp_path / "qa.prompty"
    path.write_text(PROMPTY)
    data = dataset(1)
    rundir = RunDir(tmp_path / "run")
    rundir.start(manifest(data, [prepare(parse_prompt_spec(str(path)))]), data.items)
    path.write_text(PROMPTY.replace("briefly", "at length"))
    with pytest.raises(RunDirError, match="has changed since"):
        rundir.start(manifest(data, [prepare(parse_prompt_spec(str(path)))]), data.items)


def test_a_directory_holding_something_else_is_not_used(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    data = dataset(1)
    with pytest.raises(RunDirError, match="is not empty and holds no evaluation run"):
        RunDir(tmp_path).start(manifest(data, [registry("qa@v1")]), data.items)


def result(item: str, answer: str = "x") -> ItemResult:
    return ItemResult(item, "qa@v1", answer, None, 200)


def test_a_line_cut_short_by_a_crash_is_dropped_and_cut_off(tmp_path: Path) -> None:
    rundir = RunDir(tmp_path)
    rundir.append(result("a"))
    rundir.append(result("b"))
    with rundir.results_path.open("ab") as file:
        file.write(b'{"item": "c", "prom')
    assert set(rundir.load_results()) == {("a", "qa@v1"), ("b", "qa@v1")}
    rundir.load_results(repair=True)
    rundir.append(result("c"))
    assert set(rundir.load_results()) == {("a", "qa@v1"), ("b", "qa@v1"), ("c", "qa@v1")}


def test_the_last_result_of_a_pair_wins_and_a_damaged_line_is_named(tmp_path: Path) -> None:
    rundir = RunDir(tmp_path)
    rundir.append(ItemResult("a", "qa@v1", None, "HTTP 500: x", 500))
    rundir.append(result("a", "second"))
    assert rundir.load_results()[("a", "qa@v1")].answer == "second"
    with rundir.results_path.open("ab") as file:
        file.write(b'{"no": "item"}\n')
    with pytest.raises(RunDirError, match="line 3 is not a result"):
        rundir.load_results()


def test_items_are_kept_in_the_run_directory(tmp_path: Path) -> None:
    data = parse_dataset(b'{"id": "x", "inputs": {"q": [1, 2]}, "metadata": {"m": true}}', "d")
    rundir = RunDir(tmp_path / "run")
    rundir.start(manifest(data, [registry("qa@v1")]), data.items)
    (item,) = rundir.read_items()
    assert (item.id, dict(item.inputs), item.expected, dict(item.metadata)) == (
        "x", {"q": [1, 2]}, None, {"m": True},
    )  # fmt: skip
    assert rundir.read_manifest().prompt_specs == ["qa@v1"]
