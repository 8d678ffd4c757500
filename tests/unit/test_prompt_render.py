"""Rendering a registered prompt into the request the backend receives: precedence of fields,
variables checked, unknown names, and the traffic split's stickiness."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
from pydantic import ValidationError
from tests.prompt_texts import COMPLETION_PROMPT, VARIABLES, chat_prompt, point, push

from sluicegate.config.prompts import PromptSettings
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import GatewayError, InvalidRequest
from sluicegate.policies.prompt_body import chat_body, completion_body
from sluicegate.policies.prompt_cache import PromptCache
from sluicegate.policies.prompt_ref import find_reference
from sluicegate.policies.prompt_render import PromptRenderer, RenderedRequest
from sluicegate.stores.prompts_memory import MemoryPromptStore
from sluicegate.wire.endpoints import Endpoint

SYSTEM = {"role": "system", "content": "You are a friendly support agent for Sluice."}
QUESTION = {"role": "user", "content": "Where is my order?"}


@pytest.fixture
async def renderer() -> PromptRenderer:
    store = MemoryPromptStore()
    await push(store, "support-answer", chat_prompt(model="gpt-4o-mini"))
    await push(store, "support-answer", chat_prompt(greeting="Version two for {{ product }}."))
    await push(store, "haiku", COMPLETION_PROMPT)
    await point(store, "support-answer", "production", (1, 1))
    await point(store, "support-answer", "canary", (1, 50), (2, 50))
    await point(store, "haiku", "production", (1, 1))
    cache = PromptCache(store, ManualClock())
    await cache.refresh()
    return PromptRenderer(cache, rng=random.Random(5))


async def render(
    renderer: PromptRenderer,
    body: dict[str, Any],
    *,
    header: str | None = None,
    headers: dict[str, str] | None = None,
    endpoint: Endpoint = Endpoint.CHAT,
    deployment: str | None = None,
) -> RenderedRequest:
    reference = find_reference(body, header, endpoint)
    assert reference is not None
    return await renderer.render(reference, body, headers or {}, endpoint, deployment=deployment)


async def test_a_prompt_only_request_gets_the_prompts_messages_model_and_parameters(
    renderer: PromptRenderer,
) -> None:
    rendered = await render(
        renderer, {"prompt": {"name": "support-answer", "variables": VARIABLES}}
    )
    assert rendered.body == {
        "temperature": 0.2,
        "max_tokens": 40,
        "model": "gpt-4o-mini",
        "messages": [SYSTEM, QUESTION],
    }
    assert (rendered.version, rendered.label) == ("support-answer@v1", "production")


async def test_the_requests_own_fields_win_and_its_messages_come_after(
    renderer: PromptRenderer,
) -> None:
    follow_up = {"role": "user", "content": "And when does it arrive?"}
    rendered = await render(
        renderer,
        {
            "model": "gpt-4o",
            "temperature": 0.9,
            "user": "u1",
            "messages": [follow_up],
            "prompt": {"name": "support-answer", "variables": {**VARIABLES, "tone": "terse"}},
        },
    )
    body = rendered.body
    assert body["model"] == "gpt-4o"
    assert body["temperature"] == 0.9
    assert body["max_tokens"] == 40  # from the prompt, the request did not set it
    assert body["user"] == "u1"
    assert "prompt" not in body
    assert body["messages"] == [
        {"role": "system", "content": "You are a terse support agent for Sluice."},
        QUESTION,
        follow_up,
    ]


async def test_a_deployment_in_the_path_keeps_the_prompts_model_out(
    renderer: PromptRenderer,
) -> None:
    rendered = await render(
        renderer,
        {"prompt": {"name": "support-answer", "variables": VARIABLES}},
        deployment="my-deployment",
    )
    assert "model" not in rendered.body


def test_chat_body_does_not_let_a_prompt_parameter_override_the_request() -> None:
    body = chat_body(
        {"max_tokens": 5, "messages": [QUESTION], "prompt": {"name": "x"}},
        [SYSTEM],
        {"max_tokens": 100, "top_p": 0.5},
        None,
    )
    assert body == {"max_tokens": 5, "top_p": 0.5, "messages": [SYSTEM, QUESTION]}


def test_chat_body_refuses_messages_that_are_not_an_array() -> None:
    with pytest.raises(InvalidRequest) as refused:
        chat_body({"messages": "hi"}, [SYSTEM], {}, None)
    assert refused.value.param == "messages"


def test_completion_body_puts_the_rendered_text_before_the_clients_text() -> None:
    assert completion_body({"prompt": "Go."}, "Intro", {}, None, strip_field=False) == {
        "prompt": "Intro\nGo."
    }
    assert completion_body({"prompt": {"name": "x"}}, "Intro", {"n": 1}, "m") == {
        "n": 1,
        "model": "m",
        "prompt": "Intro",
    }
    with pytest.raises(InvalidRequest):
        completion_body({"prompt": ["a", "b"]}, "Intro", {}, None, strip_field=False)


async def test_a_completion_prompt_renders_to_text(renderer: PromptRenderer) -> None:
    rendered = await render(
        renderer,
        {"model": "gpt-4o", "prompt": {"name": "haiku", "variables": {"topic": "rivers"}}},
        endpoint=Endpoint.COMPLETIONS,
    )
    assert rendered.body == {
        "max_tokens": 30,
        "model": "gpt-4o",
        "prompt": "Write a haiku about rivers.",
    }


async def test_a_chat_prompt_on_completions_is_refused(renderer: PromptRenderer) -> None:
    with pytest.raises(InvalidRequest) as refused:
        await render(
            renderer,
            {"model": "m", "prompt": {"name": "support-answer", "variables": VARIABLES}},
            endpoint=Endpoint.COMPLETIONS,
        )
    assert "is a chat prompt" in refused.value.message
    assert "/chat/completions" in refused.value.message


async def test_variables_that_do_not_fit_are_named(renderer: PromptRenderer) -> None:
    with pytest.raises(InvalidRequest) as refused:
        await render(
            renderer,
            {"prompt": {"name": "support-answer", "variables": {"question": 3, "extra": "x"}}},
        )
    error = refused.value
    assert (error.status, error.error_type, error.param) == (
        400,
        "invalid_request_error",
        "prompt.variables",
    )
    for name in ("product", "extra", "question", "expected string"):
        assert name in error.message
    assert "support-answer@v1" in error.message


@pytest.mark.parametrize(
    ("prompt", "words"),
    [
        ({"name": "nope"}, "no prompt 'nope' with the label 'production'"),
        ({"name": "support-answer", "label": "staging"}, "the label 'staging'"),
        ({"name": "support-answer", "version": 9}, "has no version 9"),
        ({"name": "nope", "version": 1}, "has no version 1"),
    ],
)
async def test_unknown_prompts_labels_and_versions_are_404(
    renderer: PromptRenderer, prompt: dict[str, Any], words: str
) -> None:
    with pytest.raises(GatewayError) as refused:
        await render(renderer, {"prompt": {**prompt, "variables": VARIABLES}})
    assert (refused.value.status, refused.value.code) == (404, "prompt_not_found")
    assert words in refused.value.message


async def test_an_explicit_version_needs_no_label(renderer: PromptRenderer) -> None:
    rendered = await render(
        renderer,
        {
            "model": "gpt-4o",
            "prompt": {"name": "support-answer", "version": 2, "variables": VARIABLES},
        },
    )
    assert rendered.body["messages"][0]["content"] == "Version two for Sluice."
    assert (rendered.version, rendered.label) == ("support-answer@v2", None)


async def test_a_split_keeps_each_user_on_one_version(renderer: PromptRenderer) -> None:
    async def version_for(user: str, *, in_header: bool = False) -> str:
        body: dict[str, Any] = {
            "model": "gpt-4o",
            "prompt": {"name": "support-answer", "label": "canary", "variables": VARIABLES},
        }
        headers = {}
        if in_header:
            headers["x-sluicegate-user"] = user
        else:
            body["user"] = user
        return (await render(renderer, body, headers=headers)).version

    seen: dict[str, str] = {}
    for user in (f"user-{n}" for n in range(200)):
        first = await version_for(user)
        assert all([await version_for(user) == first for _ in range(3)])
        assert await version_for(user, in_header=True) == first  # the header names the same user
        seen[user] = first
    shares = Counter(seen.values())
    assert set(shares) == {"support-answer@v1", "support-answer@v2"}
    assert 60 <= shares["support-answer@v1"] <= 140  # 50/50 by weight


async def test_a_split_without_a_user_is_weighted_random(renderer: PromptRenderer) -> None:
    body = {
        "model": "gpt-4o",
        "prompt": {"name": "support-answer", "label": "canary", "variables": VARIABLES},
    }
    chosen = Counter([(await render(renderer, body)).version for _ in range(400)])
    assert 140 <= chosen["support-answer@v1"] <= 260
    assert chosen["support-answer@v1"] + chosen["support-answer@v2"] == 400


async def test_the_user_header_is_configurable(renderer: PromptRenderer) -> None:
    custom = PromptRenderer(renderer._cache, user_header="x-end-user")
    body = {
        "model": "gpt-4o",
        "prompt": {"name": "support-answer", "label": "canary", "variables": VARIABLES},
    }
    chosen = {
        (await render(custom, body, headers={"x-end-user": "fixed"})).version for _ in range(30)
    }
    assert len(chosen) == 1


def test_the_user_header_setting_must_be_a_header_name() -> None:
    assert PromptSettings().user_header == "x-sluicegate-user"
    with pytest.raises(ValidationError):
        PromptSettings(user_header="not a header")
