"""The official openai SDK, both OpenAI and Azure OpenAI clients, through the gateway."""

from __future__ import annotations

import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI
from tests.e2e.support import MODEL, StackFactory, sim_deployment

pytestmark = pytest.mark.e2e

MESSAGES = [{"role": "user", "content": "Tell me about sluice gates."}]
CLIENT_KEY = "client-key-must-not-travel"


def openai_client(url: str) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=f"{url}/v1", api_key=CLIENT_KEY, max_retries=0)


def azure_client(url: str) -> AsyncAzureOpenAI:
    return AsyncAzureOpenAI(
        azure_endpoint=url, api_key=CLIENT_KEY, api_version="2024-10-21", max_retries=0
    )


async def test_openai_chat_reports_usage_and_gateway_headers(start_stack: StackFactory) -> None:
    stack = await start_stack()
    async with openai_client(stack.gateway_url) as client:
        raw = await client.chat.completions.with_raw_response.create(
            model=MODEL,
            messages=MESSAGES,
            max_tokens=12,  # type: ignore[arg-type]
        )
    completion = raw.parse()
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content
    assert completion.usage is not None
    assert completion.usage.completion_tokens <= 12
    headers = raw.headers
    assert len(headers["x-request-id"]) == 32
    assert headers["apim-request-id"] == headers["x-request-id"]
    assert headers["x-sluicegate-backend"] == "only"
    assert headers["x-sluicegate-attempts"] == "1"
    assert float(headers["x-sluicegate-overhead-ms"]) >= 0.0


async def test_openai_streaming_chat_passes_frames_through(start_stack: StackFactory) -> None:
    stack = await start_stack()
    async with openai_client(stack.gateway_url) as client:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            stream=True,
            max_tokens=20,  # type: ignore[arg-type]
        )
        chunks = [chunk async for chunk in stream]
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text
    assert chunks[-1].choices[0].finish_reason in {"stop", "length"}
    # The gateway asked upstream for usage; the client did not, so it must not see it.
    assert all(chunk.usage is None for chunk in chunks)
    assert all(chunk.choices for chunk in chunks)


async def test_streamed_usage_reaches_a_client_that_asks(start_stack: StackFactory) -> None:
    stack = await start_stack()
    async with openai_client(stack.gateway_url) as client:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
            stream=True,
            max_tokens=8,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    final = chunks[-1]
    assert final.choices == []
    assert final.usage is not None
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    # The simulator generates one token per word.
    assert final.usage.completion_tokens == len(text.split())


async def test_openai_completions_embeddings_and_models(start_stack: StackFactory) -> None:
    stack = await start_stack()
    async with openai_client(stack.gateway_url) as client:
        completion = await client.completions.create(model=MODEL, prompt="Once", max_tokens=5)
        assert completion.choices[0].text
        embeddings = await client.embeddings.create(model=MODEL, input=["one", "two"])
        assert [item.index for item in embeddings.data] == [0, 1]
        assert len(embeddings.data[0].embedding) > 8
        models = await client.models.list()
        assert {model.id async for model in models} == {MODEL, "gpt-4o-deployment"}


async def test_azure_client_uses_deployment_paths(start_stack: StackFactory) -> None:
    stack = await start_stack([sim_deployment("only")])
    async with azure_client(stack.gateway_url) as client:
        raw = await client.chat.completions.with_raw_response.create(
            model="gpt-4o-deployment",
            messages=MESSAGES,
            max_tokens=6,  # type: ignore[arg-type]
        )
        completion = raw.parse()
        assert completion.choices[0].message.content
        assert raw.headers["apim-request-id"]
        assert raw.headers["x-sluicegate-route"] == MODEL
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            stream=True,
            max_tokens=6,  # type: ignore[arg-type]
        )
        text = "".join(
            [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
        )
        assert text
        embeddings = await client.embeddings.create(model=MODEL, input="hello")
        assert embeddings.usage.prompt_tokens >= 1


async def test_azure_v1_paths_take_the_model_from_the_body(start_stack: StackFactory) -> None:
    stack = await start_stack()
    async with AsyncOpenAI(
        base_url=f"{stack.gateway_url}/openai/v1", api_key=CLIENT_KEY, max_retries=0
    ) as client:
        completion = await client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            max_tokens=4,  # type: ignore[arg-type]
        )
    assert completion.choices[0].message.content
