"""The simulator on a real socket: paths, reply shapes, streams, embeddings, client errors."""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import orjson
import pytest

from sluicegate.config.simulator import (
    CompletionSettings,
    LatencySettings,
    SimDeployment,
    SimulatorConfig,
)
from sluicegate.simulator import SimulatorServer
from sluicegate.wire.sse import DONE, FrameSplitter, event_data

pytestmark = pytest.mark.e2e

CHAT = {"messages": [{"role": "user", "content": "Say something about water gates."}]}
API = "?api-version=2024-10-21"


@pytest.fixture
async def url() -> AsyncIterator[str]:
    config = SimulatorConfig(
        port=0,
        seed=1,
        deployments=[
            SimDeployment(
                name="chat-ptu",
                model="gpt-4o",
                kind="ptu",
                capacity_tpm=1_000_000,
                completion=CompletionSettings(mean_tokens=40, spread=0.5),
            ),
            SimDeployment(
                name="chat-paygo",
                model="gpt-4o",
                latency=LatencySettings(tokens_per_second=2000),
                completion=CompletionSettings(mean_tokens=30, spread=0),
            ),
            SimDeployment(name="embed", model="text-embedding-3-small", embedding_dimensions=32),
        ],
    )
    async with SimulatorServer(config) as base:
        yield base


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _post(
    http: aiohttp.ClientSession, url: str, body: dict[str, Any]
) -> tuple[int, Mapping[str, str], Any]:
    async with http.post(url, data=orjson.dumps(body)) as response:
        return response.status, response.headers.copy(), orjson.loads(await response.read())


async def _stream(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> list[bytes]:
    async with http.post(url, json=body) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        splitter = FrameSplitter()
        events = []
        async for chunk in response.content.iter_any():
            events.extend(splitter.feed(chunk))
        assert splitter.pending == b""
    payloads = [event_data(event) for event in events]
    assert all(event.startswith(b"data: ") and event.endswith(b"\n\n") for event in events)
    return [payload for payload in payloads if payload is not None]


async def test_chat_reply_has_openai_shape_and_ids(url: str, http: aiohttp.ClientSession) -> None:
    status, headers, body = await _post(
        http, f"{url}/v1/chat/completions", {"model": "chat-ptu", **CHAT}
    )
    assert status == 200
    assert headers["apim-request-id"] == headers["x-request-id"]
    assert headers["azure-openai-deployment-utilization"].endswith("%")
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert body["model"] == "gpt-4o"
    assert isinstance(body["created"], int)
    assert body["system_fingerprint"]
    [choice] = body["choices"]
    assert choice["index"] == 0
    assert choice["message"]["role"] == "assistant"
    assert choice["finish_reason"] == "stop"
    words = choice["message"]["content"].split()
    usage = body["usage"]
    assert usage["completion_tokens"] == len(words)
    assert 20 <= usage["completion_tokens"] <= 60
    assert usage["prompt_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


async def test_max_tokens_caps_the_reply_with_finish_length(
    url: str, http: aiohttp.ClientSession
) -> None:
    body = {"model": "chat-ptu", "max_completion_tokens": 5, **CHAT}
    _, _, reply = await _post(http, f"{url}/v1/chat/completions", body)
    assert reply["choices"][0]["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == 5
    assert len(reply["choices"][0]["message"]["content"].split()) == 5


async def test_model_name_reaches_the_first_deployment_of_that_model(
    url: str, http: aiohttp.ClientSession
) -> None:
    _, headers, body = await _post(http, f"{url}/v1/chat/completions", {"model": "gpt-4o", **CHAT})
    assert body["model"] == "gpt-4o"
    assert "azure-openai-deployment-utilization" in headers  # chat-ptu comes first


async def test_azure_deployment_path_and_v1_path(url: str, http: aiohttp.ClientSession) -> None:
    status, headers, body = await _post(
        http, f"{url}/openai/deployments/chat-paygo/chat/completions{API}", CHAT
    )
    assert status == 200
    assert body["usage"]["completion_tokens"] == 30
    assert "azure-openai-deployment-utilization" not in headers
    status, _, body = await _post(
        http, f"{url}/openai/v1/chat/completions", {"model": "chat-paygo", **CHAT}
    )
    assert status == 200
    assert body["object"] == "chat.completion"


async def test_text_completion_shape(url: str, http: aiohttp.ClientSession) -> None:
    status, _, body = await _post(
        http, f"{url}/v1/completions", {"model": "chat-paygo", "prompt": "Once upon a time"}
    )
    assert status == 200
    assert body["object"] == "text_completion"
    assert body["id"].startswith("cmpl-")
    assert len(body["choices"][0]["text"].split()) == body["usage"]["completion_tokens"] == 30
    assert body["choices"][0]["finish_reason"] == "stop"


async def test_chat_stream_frames_and_done(url: str, http: aiohttp.ClientSession) -> None:
    payloads = await _stream(
        http, f"{url}/v1/chat/completions", {"model": "chat-paygo", "stream": True, **CHAT}
    )
    assert payloads[-1] == DONE
    chunks = [orjson.loads(payload) for payload in payloads[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"][0]["delta"] == {}
    content = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    assert len(content.split()) == 30
    # 2000 tokens/s batches two tokens per frame.
    assert len(chunks) == 1 + 15 + 1
    assert all("usage" not in chunk for chunk in chunks)
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}


async def test_include_usage_adds_a_usage_frame(url: str, http: aiohttp.ClientSession) -> None:
    body = {
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 4,
        **CHAT,
    }
    payloads = await _stream(http, f"{url}/openai/deployments/chat-ptu/chat/completions{API}", body)
    assert payloads[-1] == DONE
    final = orjson.loads(payloads[-2])
    assert final["choices"] == []
    assert final["usage"]["completion_tokens"] == 4
    finish = orjson.loads(payloads[-3])
    assert finish["choices"][0]["finish_reason"] == "length"
    assert finish["usage"] is None


async def test_completion_stream(url: str, http: aiohttp.ClientSession) -> None:
    payloads = await _stream(
        http,
        f"{url}/v1/completions",
        {"model": "chat-paygo", "prompt": "x", "stream": True, "max_tokens": 3},
    )
    chunks = [orjson.loads(payload) for payload in payloads[:-1]]
    assert payloads[-1] == DONE
    assert "".join(chunk["choices"][0]["text"] for chunk in chunks).count(" ") == 3
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert {chunk["object"] for chunk in chunks} == {"text_completion"}


async def test_embeddings_float_and_base64_agree(url: str, http: aiohttp.ClientSession) -> None:
    request = {"model": "text-embedding-3-small", "input": ["alpha", "beta"]}
    status, _, floats = await _post(http, f"{url}/v1/embeddings", request)
    assert status == 200
    assert floats["object"] == "list"
    assert floats["model"] == "text-embedding-3-small"
    assert [item["index"] for item in floats["data"]] == [0, 1]
    assert {item["object"] for item in floats["data"]} == {"embedding"}
    first = floats["data"][0]["embedding"]
    assert len(first) == 32
    assert math.fsum(x * x for x in first) == pytest.approx(1.0)
    assert floats["usage"]["prompt_tokens"] == floats["usage"]["total_tokens"] > 0
    _, _, encoded = await _post(
        http,
        f"{url}/openai/deployments/embed/embeddings{API}",
        {"input": ["alpha", "beta"], "encoding_format": "base64"},
    )
    decoded = struct.unpack("<32f", base64.b64decode(encoded["data"][0]["embedding"]))
    assert decoded == pytest.approx(first, abs=1e-6)
    _, _, again = await _post(http, f"{url}/v1/embeddings", {**request, "dimensions": 8})
    assert len(again["data"][1]["embedding"]) == 8


async def test_models_lists_deployments_and_models(url: str, http: aiohttp.ClientSession) -> None:
    for path in ("/v1/models", "/openai/v1/models"):
        async with http.get(url + path) as response:
            body = orjson.loads(await response.read())
        ids = [model["id"] for model in body["data"]]
        assert body["object"] == "list"
        assert ids == ["chat-ptu", "chat-paygo", "embed", "gpt-4o", "text-embedding-3-small"]


async def test_unknown_deployment_and_model_are_404(url: str, http: aiohttp.ClientSession) -> None:
    status, headers, body = await _post(
        http, f"{url}/openai/deployments/nope/chat/completions{API}", CHAT
    )
    assert status == 404
    assert body["error"]["code"] == "DeploymentNotFound"
    assert headers["x-request-id"]
    status, _, body = await _post(http, f"{url}/v1/chat/completions", {"model": "nope", **CHAT})
    assert status == 404
    assert body["error"]["code"] == "model_not_found"
    status, _, body = await _post(http, f"{url}/v2/whatever", CHAT)
    assert status == 404
    assert "error" in body


@pytest.mark.parametrize(
    ("path", "payload", "param"),
    [
        ("/v1/chat/completions", b"{not json", None),
        ("/v1/chat/completions", orjson.dumps(CHAT), "model"),
        ("/v1/chat/completions", orjson.dumps({"model": "chat-ptu", "messages": []}), "messages"),
        ("/v1/embeddings", orjson.dumps({"model": "embed", "input": 5}), "input"),
        (
            "/v1/embeddings",
            orjson.dumps({"model": "embed", "input": "a", "stream": True}),
            "stream",
        ),
        ("/openai/deployments/chat-ptu/chat/completions", orjson.dumps(CHAT), "api-version"),
    ],
)
async def test_malformed_requests_are_400(
    url: str, http: aiohttp.ClientSession, path: str, payload: bytes, param: str | None
) -> None:
    async with http.post(url + path, data=payload) as response:
        assert response.status == 400
        assert response.headers["apim-request-id"]
        body = orjson.loads(await response.read())
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["param"] == param
    assert body["error"]["message"]
