"""The official openai SDK, OpenAI-style and Azure-style, against the simulator.

The SDK clients are synchronous, so they run in a worker thread while the event loop serves.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import pytest
from openai import AzureOpenAI, OpenAI, RateLimitError

from sluicegate.config.simulator import SimDeployment, SimulatorConfig
from sluicegate.simulator import SimulatorServer

pytestmark = pytest.mark.e2e

T = TypeVar("T")

MESSAGES = [{"role": "user", "content": "Tell me about sluice gates."}]


@pytest.fixture
async def url() -> AsyncIterator[str]:
    config = SimulatorConfig(
        port=0,
        deployments=[
            SimDeployment(name="gpt-4o-ptu", model="gpt-4o", kind="ptu", capacity_tpm=100_000),
            SimDeployment(name="text-embedding-3-small", embedding_dimensions=64),
        ],
    )
    async with SimulatorServer(config) as base:
        yield base


async def _in_thread(
    make_client: Callable[[str], OpenAI], url: str, call: Callable[[OpenAI], T]
) -> T:
    """Run `call` with a fresh client in a worker thread, closing the client afterwards."""

    def work() -> T:
        with make_client(url) as client:
            return call(client)

    return await asyncio.to_thread(work)


def _openai(url: str) -> OpenAI:
    return OpenAI(base_url=f"{url}/v1", api_key="sk-test", max_retries=0)


def _azure(url: str) -> AzureOpenAI:
    return AzureOpenAI(
        azure_endpoint=url, api_version="2024-10-21", api_key="not-a-key", max_retries=0
    )


@pytest.mark.parametrize("make_client", [_openai, _azure], ids=["openai", "azure"])
async def test_chat(url: str, make_client: Callable[[str], OpenAI]) -> None:
    def call(client: OpenAI) -> tuple[str, int, str]:
        reply = client.chat.completions.with_raw_response.create(
            model="gpt-4o-ptu", messages=MESSAGES, max_tokens=8
        )
        completion = reply.parse()
        assert completion.usage is not None
        content = completion.choices[0].message.content or ""
        return content, completion.usage.completion_tokens, reply.headers["x-request-id"]

    content, tokens, request_id = await _in_thread(make_client, url, call)
    assert tokens == len(content.split()) <= 8
    assert request_id


@pytest.mark.parametrize("make_client", [_openai, _azure], ids=["openai", "azure"])
async def test_streamed_chat(url: str, make_client: Callable[[str], OpenAI]) -> None:
    def call(client: OpenAI) -> tuple[str, list[str | None], int]:
        stream = client.chat.completions.create(
            model="gpt-4o-ptu",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        text, finishes, usage_tokens = "", [], -1
        for chunk in stream:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
                finishes.append(chunk.choices[0].finish_reason)
            if chunk.usage is not None:
                usage_tokens = chunk.usage.completion_tokens
        return text, finishes, usage_tokens

    text, finishes, usage_tokens = await _in_thread(make_client, url, call)
    assert usage_tokens == len(text.split()) > 0
    assert finishes[-1] == "stop"
    assert all(finish is None for finish in finishes[:-1])


@pytest.mark.parametrize("make_client", [_openai, _azure], ids=["openai", "azure"])
async def test_embeddings(url: str, make_client: Callable[[str], OpenAI]) -> None:
    def call(client: OpenAI) -> tuple[list[list[float]], int]:
        result = client.embeddings.create(
            model="text-embedding-3-small", input=["first text", "second text"]
        )
        return [item.embedding for item in result.data], result.usage.prompt_tokens

    vectors, prompt_tokens = await _in_thread(make_client, url, call)
    assert len(vectors) == 2
    assert all(len(vector) == 64 for vector in vectors)
    assert all(
        math.fsum(x * x for x in vector) == pytest.approx(1.0, abs=1e-5) for vector in vectors
    )
    assert vectors[0] != vectors[1]
    assert prompt_tokens > 0


async def test_sdk_sees_a_rate_limit_error(url: str) -> None:
    def call(client: OpenAI) -> RateLimitError:
        with pytest.raises(RateLimitError) as caught:
            client.chat.completions.create(
                model="gpt-4o-ptu", messages=MESSAGES, extra_headers={"x-sim-status": "429"}
            )
        return caught.value

    error = await _in_thread(_azure, url, call)
    assert error.status_code == 429
    assert error.code == "429"
