"""Registered prompts rendered by the gateway, driven with the official openai SDK (`OpenAI` and
`AzureOpenAI`, the reference in `extra_body`) against the simulator behind a recording proxy."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from tests.e2e.prompt_support import MODEL, PromptStack, Running, prompt_stack
from tests.prompt_texts import COMPLETION_PROMPT, VARIABLES, chat_prompt

from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql import SqlStores

pytestmark = pytest.mark.e2e

NAME = "support-answer"
PROMPT = {"name": NAME, "variables": VARIABLES}
RENDERED = [
    {"role": "system", "content": "You are a friendly support agent for Sluice."},
    {"role": "user", "content": "Where is my order?"},
]
FOLLOW_UP = {"role": "user", "content": "It was order 42."}


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[PromptStack]:
    async with prompt_stack(tmp_path) as prompts:
        yield prompts


@pytest.fixture
async def first(stack: PromptStack) -> Running:
    """A gateway whose `support-answer` has v1 under `production`, and a completion prompt.
    Labels moved through a gateway's admin API are served by that gateway at once."""
    running = await stack.gateway()
    assert await stack.push(running.url, chat_prompt(model=MODEL)) == 1
    await stack.label(running.url, NAME, "production", 1)
    await stack.push(running.url, COMPLETION_PROMPT)
    await stack.label(running.url, "haiku", "production", 1)
    return running


async def test_the_openai_client_gets_a_reply_from_the_rendered_prompt(
    stack: PromptStack, first: Running
) -> None:
    raw = await stack.openai(first.url).chat.completions.with_raw_response.create(
        model=MODEL, messages=[FOLLOW_UP], extra_body={"prompt": PROMPT}
    )
    assert raw.parse().choices[0].message.content
    assert raw.headers["x-sluicegate-prompt-version"] == f"{NAME}@v1"
    assert raw.headers["x-sluicegate-prompt-label"] == "production"
    sent = stack.proxy.bodies[-1]
    assert sent["messages"] == [*RENDERED, FOLLOW_UP]
    assert "prompt" not in sent
    assert (sent["temperature"], sent["max_tokens"]) == (0.2, 40)  # from the prompt


async def test_the_azure_client_renders_through_the_deployment_path(
    stack: PromptStack, first: Running
) -> None:
    raw = await stack.azure(first.url).chat.completions.with_raw_response.create(
        model=MODEL,
        messages=[],
        max_tokens=12,
        extra_body={"prompt": {**PROMPT, "version": 1}},
    )
    assert raw.parse().choices[0].message.content
    assert raw.headers["x-sluicegate-prompt-version"] == f"{NAME}@v1"
    assert "x-sluicegate-prompt-label" not in raw.headers  # a version named outright
    sent = stack.proxy.bodies[-1]
    assert sent["messages"] == RENDERED
    assert sent["max_tokens"] == 12  # the request's own value wins


async def test_a_request_may_take_its_model_from_the_prompt(
    stack: PromptStack, first: Running
) -> None:
    async with stack.http.post(
        f"{first.url}/v1/chat/completions",
        json={"prompt": PROMPT},
        headers={"Authorization": f"Bearer {stack.keys['app']}"},
    ) as response:
        body = await response.json()
        assert response.status == 200, body
        assert response.headers["x-sluicegate-route"] == MODEL
    assert stack.proxy.bodies[-1]["model"] == MODEL


async def test_the_header_names_the_prompt_and_the_body_its_variables(
    stack: PromptStack, first: Running
) -> None:
    raw = await stack.openai(first.url).chat.completions.with_raw_response.create(
        model=MODEL,
        messages=[FOLLOW_UP],
        extra_headers={"x-sluicegate-prompt": f"{NAME}@production"},
        extra_body={"prompt": {"variables": VARIABLES}},
    )
    assert raw.headers["x-sluicegate-prompt-version"] == f"{NAME}@v1"
    assert stack.proxy.bodies[-1]["messages"] == [*RENDERED, FOLLOW_UP]


async def test_a_stream_carries_the_version_headers(stack: PromptStack, first: Running) -> None:
    raw = await stack.openai(first.url).chat.completions.with_raw_response.create(
        model=MODEL, messages=[], stream=True, extra_body={"prompt": PROMPT}
    )
    assert raw.headers["x-sluicegate-prompt-version"] == f"{NAME}@v1"
    assert raw.headers["x-sluicegate-prompt-label"] == "production"
    text = "".join(
        [chunk.choices[0].delta.content or "" async for chunk in raw.parse() if chunk.choices]
    )
    assert text
    assert stack.proxy.bodies[-1]["messages"] == RENDERED
    assert stack.proxy.bodies[-1]["stream"] is True


async def test_completions_render_a_completion_prompt_and_pass_text_prompts_untouched(
    stack: PromptStack, first: Running
) -> None:
    client = stack.openai(first.url)
    raw = await client.completions.with_raw_response.create(
        model=MODEL,
        prompt="",
        extra_body={"prompt": {"name": "haiku", "variables": {"topic": "rivers"}}},
    )
    assert raw.headers["x-sluicegate-prompt-version"] == "haiku@v1"
    assert stack.proxy.bodies[-1]["prompt"] == "Write a haiku about rivers."
    assert stack.proxy.bodies[-1]["max_tokens"] == 30
    plain = await client.completions.with_raw_response.create(model=MODEL, prompt="Say hi")
    assert "x-sluicegate-prompt-version" not in plain.headers
    assert stack.proxy.bodies[-1]["prompt"] == "Say hi"


async def test_variables_that_do_not_fit_are_a_400_naming_them(
    stack: PromptStack, first: Running
) -> None:
    forwarded = len(stack.proxy.bodies)
    with pytest.raises(openai.BadRequestError) as refused:
        await stack.openai(first.url).chat.completions.create(
            model=MODEL,
            messages=[],
            extra_body={"prompt": {"name": NAME, "variables": {"question": 7, "nope": 1}}},
        )
    error = refused.value.body
    assert isinstance(error, dict)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "prompt.variables"
    for name in ("product", "nope", "question"):
        assert name in error["message"]
    assert len(stack.proxy.bodies) == forwarded


@pytest.mark.parametrize(
    "prompt",
    [{"name": "no-such-prompt"}, {"name": NAME, "label": "staging"}, {"name": NAME, "version": 5}],
)
async def test_unknown_prompts_labels_and_versions_are_404(
    stack: PromptStack, first: Running, prompt: dict[str, Any]
) -> None:
    with pytest.raises(openai.NotFoundError) as refused:
        await stack.openai(first.url).chat.completions.create(
            model=MODEL, messages=[], extra_body={"prompt": prompt}
        )
    error = refused.value.body
    assert isinstance(error, dict)
    assert (error["code"], error["type"], error["param"]) == (
        "prompt_not_found",
        "invalid_request_error",
        "prompt",
    )


async def test_embeddings_refuse_a_prompt_reference(stack: PromptStack, first: Running) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        await stack.openai(first.url).embeddings.create(
            model=MODEL, input="x", extra_headers={"x-sluicegate-prompt": NAME}
        )
    assert "takes no prompt reference" in str(refused.value)


async def test_without_valid_credentials_nothing_reveals_whether_a_prompt_exists(
    stack: PromptStack, first: Running
) -> None:
    answers = []
    for key in ("not-a-key", "sg-AAAAAAAAAAAA-" + "x" * 43):
        for prompt in (PROMPT, {"name": "no-such-prompt"}, {"name": NAME, "version": 99}):
            with pytest.raises(openai.AuthenticationError) as refused:
                await stack.openai(first.url, key).chat.completions.create(
                    model=MODEL, messages=[], extra_body={"prompt": prompt}
                )
            answers.append(json.dumps(refused.value.body, sort_keys=True))
    assert len(set(answers[:3])) == 1  # the same answer whatever the prompt
    assert len(set(answers[3:])) == 1


async def test_the_usage_record_and_the_request_log_carry_the_version(
    stack: PromptStack, first: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sluicegate.requests")
    client = stack.openai(first.url)
    rendered = await client.chat.completions.with_raw_response.create(
        model=MODEL, messages=[], extra_body={"prompt": PROMPT}
    )
    overridden = await client.chat.completions.with_raw_response.create(
        model=MODEL,
        messages=[],
        extra_headers={"x-sluicegate-prompt-version": "my-own@v9"},
        extra_body={"prompt": PROMPT},
    )
    clients_own = await client.chat.completions.with_raw_response.create(
        model=MODEL,
        messages=[FOLLOW_UP],
        extra_headers={"x-sluicegate-prompt-version": "my-own@v9"},
    )
    assert overridden.headers["x-sluicegate-prompt-version"] == f"{NAME}@v1"
    assert clients_own.headers["x-sluicegate-prompt-version"] == "my-own@v9"
    expected = {
        rendered.headers["x-request-id"]: f"{NAME}@v1",
        overridden.headers["x-request-id"]: f"{NAME}@v1",  # the rendered version wins
        clients_own.headers["x-request-id"]: "my-own@v9",
    }
    records = await ledger_records(stack.database_url, list(expected))
    assert {rid: record.prompt_version for rid, record in records.items()} == expected
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "sluicegate.requests"]
    labels = {line["request_id"]: line["prompt_label"] for line in lines}
    assert labels[rendered.headers["x-request-id"]] == "production"
    assert labels[clients_own.headers["x-request-id"]] is None


async def test_a_label_moved_on_one_gateway_reaches_another_within_five_seconds(
    stack: PromptStack, first: Running
) -> None:
    second = await stack.gateway(refresh_seconds=1.0)
    client = stack.openai(second.url)

    async def served_version() -> str:
        raw = await client.chat.completions.with_raw_response.create(
            model=MODEL, messages=[], extra_body={"prompt": PROMPT}
        )
        return raw.headers["x-sluicegate-prompt-version"]

    assert await served_version() == f"{NAME}@v1"
    version = await stack.push(first.url, chat_prompt(model=MODEL, greeting="Hello from v2."))
    await stack.label(first.url, NAME, "production", version)
    moved_at = time.monotonic()
    deadline = moved_at + 5.0
    while (seen := await served_version()) != f"{NAME}@v2":
        assert time.monotonic() < deadline, f"still {seen} after 5 s"
        await asyncio.sleep(0.05)
    assert stack.proxy.bodies[-1]["messages"][0]["content"] == "Hello from v2."


async def ledger_records(database_url: str, request_ids: list[str]) -> dict[str, UsageRecord]:
    """The ledger records of `request_ids`, once the gateway's writer has stored them all."""
    stores = SqlStores.create(database_url)
    try:
        deadline = time.monotonic() + 5.0
        while True:
            found = {rid: await stores.ledger.get(rid) for rid in request_ids}
            if all(found.values()):
                return {rid: record for rid, record in found.items() if record is not None}
            assert time.monotonic() < deadline, f"records missing: {found}"
            await asyncio.sleep(0.05)
    finally:
        await stores.close()
