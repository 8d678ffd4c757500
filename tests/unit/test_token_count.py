import socket
from typing import Any

import pytest

from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.token_count import (
    CL100K,
    O200K,
    TokenCount,
    TokenCounter,
    TokenizerUnavailable,
    encoding_for_model,
    estimate_tokens,
    load_offline_encoding,
)

SAMPLE = (
    "The gateway forwards each request to the first deployment with capacity, and when every "
    "deployment is busy it answers 429 with the time until the soonest one recovers.\n"
    "def reserve(limits, tokens):\n    return store.reserve(limits, tokens + 1200)\n"
)


@pytest.fixture(scope="module")
def counter() -> TokenCounter:
    counter = TokenCounter()
    assert counter.preload() == {O200K: True, CL100K: True}
    return counter


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", O200K),
        ("gpt-4o-mini-2024-07-18", O200K),
        ("o1-preview", O200K),
        ("o3-mini", O200K),
        ("gpt-4.1-nano", O200K),
        ("ft:gpt-4o-mini:acme::abc", O200K),
        ("gpt-4", CL100K),
        ("gpt-4-turbo", CL100K),
        ("gpt-35-turbo", CL100K),
        ("gpt-3.5-turbo-0125", CL100K),
        ("text-embedding-3-small", CL100K),
        ("llama-3-70b", None),
        ("my-deployment", None),
        ("", None),
        (None, None),
    ],
)
def test_model_names_pick_their_encoding(model: str | None, encoding: str | None) -> None:
    assert encoding_for_model(model) == encoding


def test_known_strings_count_exactly(counter: TokenCounter) -> None:
    assert counter.count_text("hello world") == TokenCount(2, exact=True)
    assert counter.count_text("Hello, world!", "gpt-4o").tokens == 4
    assert counter.count_text("hello world", "gpt-4").tokens == 2
    assert counter.count_text("tiktoken is great!", "gpt-3.5-turbo").tokens == 6
    assert counter.count_text("", "gpt-4o").tokens == 0
    # Special-token text in a prompt is ordinary text to the API, never a control token.
    assert counter.count_text("<|endoftext|>", "gpt-4o").tokens > 1


def test_encodings_agree_with_upstream_definitions(monkeypatch: pytest.MonkeyPatch) -> None:
    openai_public = pytest.importorskip("tiktoken_ext.openai_public")
    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", lambda *_a, **_k: {})
    for name, upstream in ((O200K, openai_public.o200k_base), (CL100K, openai_public.cl100k_base)):
        ours = load_offline_encoding(name)
        expected = upstream()
        assert ours._pat_str == expected["pat_str"]
        assert ours._special_tokens == expected["special_tokens"]
        assert ours.n_vocab == max(expected["special_tokens"].values()) + 1


def test_loading_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    counter = TokenCounter()
    assert counter.preload(O200K, CL100K) == {O200K: True, CL100K: True}
    assert counter.count_text("hello world", "gpt-4o") == TokenCount(2, exact=True)


def test_each_encoding_loads_once() -> None:
    loads: list[str] = []

    def loader(name: str) -> Any:
        loads.append(name)
        return load_offline_encoding(name)

    counter = TokenCounter(loader=loader)
    for _ in range(3):
        counter.count_text(SAMPLE, "gpt-4o")
        counter.count_request({"model": "gpt-4o-mini", "messages": []}, Endpoint.CHAT)
    counter.count_text(SAMPLE, "gpt-4")
    assert loads == [O200K, CL100K]


def test_chat_overhead_on_a_known_message_list(counter: TokenCounter) -> None:
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "hello world"},
            {"role": "user", "name": "bob", "content": "hello world"},
        ],
    }
    # 3 priming + per message (3 + role + content) + the name and its extra token.
    # "system", "user", "bob" and "hello world" are 1, 1, 1 and 2 tokens in o200k_base.
    assert counter.count_request(body, Endpoint.CHAT) == TokenCount(3 + 6 + 8, exact=True)


def test_chat_content_parts_images_and_tool_calls(counter: TokenCounter) -> None:
    def image(detail: str) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": "data:,", "detail": detail}}

    parts = [{"type": "text", "text": "hello world"}, image("low"), image("high"), image("auto")]
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    body = {
        "messages": [
            {"role": "user", "content": parts},
            {"role": "assistant", "content": None, "tool_calls": [call]},
        ]
    }
    user = 3 + 1 + 2 + 85 + 765 + 765
    assistant = 3 + counter.count_text("assistant").tokens + 1 + counter.count_text("{}").tokens
    count = counter.count_request(body, Endpoint.CHAT, model="gpt-4o")
    assert count == TokenCount(3 + user + assistant, exact=True)


def test_tool_definitions_add_to_the_prompt(counter: TokenCounter) -> None:
    messages = [{"role": "user", "content": "hi"}]
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    bare = counter.count_request({"messages": messages}, Endpoint.CHAT).tokens
    with_tools = counter.count_request({"messages": messages, "tools": tools}, Endpoint.CHAT)
    assert with_tools.tokens - bare >= 10


def test_completion_and_embedding_inputs(counter: TokenCounter) -> None:
    def count(body: dict[str, Any], endpoint: Endpoint) -> int:
        return counter.count_request(body, endpoint, model="gpt-4o").tokens

    assert count({"prompt": "hello world"}, Endpoint.COMPLETIONS) == 2
    assert count({"prompt": ["hello world", "hello"]}, Endpoint.COMPLETIONS) == 3
    assert count({"input": [1, 2, 3]}, Endpoint.EMBEDDINGS) == 3
    assert count({"input": [[1, 2], [3]]}, Endpoint.EMBEDDINGS) == 3
    assert count({"input": {"bad": 1}}, Endpoint.EMBEDDINGS) == 0
    assert count({}, Endpoint.CHAT) == 3


def test_unknown_models_fall_back_with_a_bounded_error(counter: TokenCounter) -> None:
    exact = counter.count_text(SAMPLE, "gpt-4o").tokens
    estimate = counter.count_text(SAMPLE, "llama-3-70b")
    assert not estimate.exact
    assert estimate.tokens == estimate_tokens(SAMPLE)
    assert abs(estimate.tokens - exact) / exact < 0.15
    body = {"model": "mistral-large", "messages": [{"role": "user", "content": SAMPLE}]}
    assert counter.count_request(body, Endpoint.CHAT).exact is False


def test_estimate_handles_wide_scripts_and_edges() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("   ") == 1
    chinese = "请求会被转发到第一个空闲的服务器。" * 10
    assert estimate_tokens(chinese) > len(chinese) // 2


def test_missing_files_fall_back_to_the_estimate() -> None:
    def unavailable(name: str) -> Any:
        raise TokenizerUnavailable(name)

    counter = TokenCounter(loader=unavailable)
    assert counter.preload(O200K) == {O200K: False}
    assert counter.count_text(SAMPLE, "gpt-4o") == TokenCount(estimate_tokens(SAMPLE), False)


def test_unknown_encoding_names_are_refused() -> None:
    with pytest.raises(TokenizerUnavailable, match="p50k_base"):
        load_offline_encoding("p50k_base")
