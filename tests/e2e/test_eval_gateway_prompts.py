"""An evaluation of registered prompt versions: the gateway renders each reference, says which
version served it, and the summary's gate block records the resolved versions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.e2e.prompt_support import MODEL, PromptStack, Running, prompt_stack
from tests.prompt_texts import chat_prompt

from sluicegate.evals.loaded_run import load_run
from sluicegate.evals.rundir import RunDir
from sluicegate.evals.session import EvalOptions, execute, prepare_run

pytestmark = pytest.mark.e2e

NAME = "support-answer"
ITEMS = 12


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[PromptStack]:
    async with prompt_stack(tmp_path) as prompts:
        yield prompts


@pytest.fixture
async def gateway(stack: PromptStack) -> Running:
    """`support-answer` v1 (answers up to 30 tokens) under `production`, and v2 (3 tokens)."""
    running = await stack.gateway()
    long = chat_prompt(parameters="temperature: 0\n    max_tokens: 30")
    short = chat_prompt(greeting="Be terse.", parameters="temperature: 0\n    max_tokens: 3")
    assert await stack.push(running.url, long) == 1
    assert await stack.push(running.url, short) == 2
    await stack.label(running.url, NAME, "production", 1)
    assert running.gateway.prompts is not None
    await running.gateway.prompts.changed()
    return running


def options(tmp_path: Path, stack: PromptStack, url: str, *prompts: str) -> EvalOptions:
    dataset = tmp_path / "support.jsonl"
    dataset.write_text(
        "\n".join(
            json.dumps({"inputs": {"question": f"Where is order {i}?", "product": "Sluice"}})
            for i in range(ITEMS)
        )
    )
    return EvalOptions(
        dataset=dataset,
        prompts=prompts,
        evaluators=[r"long=regex:(\S+\s+){4}\S+"],
        model=MODEL,
        out=tmp_path / "run",
        target=url,
        api_key_env="EVAL_KEY",
        environ={"EVAL_KEY": stack.keys["app"]},
        concurrency=4,
    )


async def test_the_gateway_renders_each_version_and_names_it(
    stack: PromptStack, gateway: Running, tmp_path: Path
) -> None:
    prepared = prepare_run(
        options(tmp_path, stack, gateway.url, f"{NAME}@production", f"{NAME}@v2")
    )
    _, outcome = await execute(prepared)
    assert (outcome.answered, outcome.failed, outcome.stopped) == (2 * ITEMS, 0, None)
    sent = stack.proxy.bodies[-2 * ITEMS :]
    assert all("prompt" not in body for body in sent)
    assert sorted({body["max_tokens"] for body in sent}) == [3, 30]
    questions = {body["messages"][-1]["content"] for body in sent}
    assert questions == {f"Where is order {i}?" for i in range(ITEMS)}
    assert {body["messages"][0]["content"] for body in sent} == {
        "You are a friendly support agent for Sluice.",
        "Be terse.",
    }
    run = load_run(RunDir(tmp_path / "run"))
    summary = run.summarise()
    base, cand = summary["prompts"]
    assert base["label"] == "production"
    assert base["resolved_versions"] == {f"{NAME}@v1": ITEMS}
    assert cand["resolved_versions"] == {f"{NAME}@v2": ITEMS}
    assert summary["gate"]["baseline"] == {
        "spec": f"{NAME}@production",
        "resolved_versions": [f"{NAME}@v1"],
    }
    (candidate,) = summary["gate"]["candidates"]
    assert candidate["resolved_versions"] == [f"{NAME}@v2"]
    assert candidate["worse_on"] == ["long"]


async def test_a_version_the_registry_does_not_have_stops_the_run(
    stack: PromptStack, gateway: Running, tmp_path: Path
) -> None:
    prepared = prepare_run(options(tmp_path, stack, gateway.url, f"{NAME}@v9"))
    before = len(stack.proxy.bodies)
    _, outcome = await execute(prepared)
    assert outcome.stopped is not None
    assert outcome.stopped.startswith(f"{NAME}@v9: HTTP 404")
    assert outcome.answered == 0
    assert outcome.failed < ITEMS
    assert len(stack.proxy.bodies) == before  # nothing reached the backend
