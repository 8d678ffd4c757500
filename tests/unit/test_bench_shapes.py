"""Request shapes, unique prompts of the wanted size, targets and their keys."""

from __future__ import annotations

import orjson
import pytest

from sluicegate.bench.shapes import PROFILES, PromptFactory, Shape, shape_for
from sluicegate.bench.slo import sweep_rates
from sluicegate.bench.target import build_target
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.token_count import estimate_request_tokens


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_profiles_have_their_sizes(profile: str) -> None:
    shape = shape_for(profile, None, None)
    assert (shape.context_tokens, shape.max_tokens) == PROFILES[profile]
    factory = PromptFactory(shape, "gpt-4o", "run1", seed=1)
    body = factory.body(7)
    assert body["max_tokens"] == shape.max_tokens
    assert body["stream"] is True
    tokens = estimate_request_tokens(body, Endpoint.CHAT)
    assert abs(tokens - shape.context_tokens) <= max(3, shape.context_tokens * 0.01)


def test_every_prompt_differs_from_its_first_token() -> None:
    factory = PromptFactory(Shape("custom", 1500, 10), "m", "abc", seed=0)
    contents = [orjson.loads(factory.encoded(i))["messages"][0]["content"] for i in range(50)]
    assert len(set(contents)) == 50
    assert len({content[:12] for content in contents}) == 50  # differs at the start: no prefix hit


def test_custom_needs_both_sizes_and_named_profiles_refuse_them() -> None:
    assert shape_for("custom", 100, 20) == Shape("custom", 100, 20)
    with pytest.raises(ValueError, match="needs --context-tokens and --max-tokens"):
        shape_for("custom", 100, None)
    with pytest.raises(ValueError, match="apply to --shape custom"):
        shape_for("balanced", 100, None)
    with pytest.raises(ValueError, match="unknown shape"):
        shape_for("huge", None, None)


def test_targets_openai_and_azure() -> None:
    env = {"KEY": "secret-value"}
    openai = build_target("http://h:8080/", model="gpt-4o", key_env="KEY", environ=env)
    assert openai.url == "http://h:8080/v1/chat/completions"
    assert ("Authorization", "Bearer secret-value") in openai.headers
    assert "secret" not in openai.label
    v1 = build_target("https://api.example.com/v1", model="m", environ={})
    assert v1.url == "https://api.example.com/v1/chat/completions"
    azure = build_target(
        "https://r.openai.azure.com", api="azure", deployment="gpt 4o", key_env="KEY", environ=env
    )
    assert azure.url == (
        "https://r.openai.azure.com/openai/deployments/gpt%204o/chat/completions"
        "?api-version=2024-10-21"
    )
    assert ("api-key", "secret-value") in azure.headers
    bearer = build_target("http://h", model="m", key_env="KEY", auth="api-key", environ=env)
    assert ("api-key", "secret-value") in bearer.headers


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "m", "key_env": "NOPE"}, "NOPE: the environment variable is not set"),
        ({"model": None}, "--model is required"),
        ({"api": "azure"}, "needs --deployment"),
        ({"model": "m", "auth": "bearer"}, "--auth needs --api-key-env"),
        ({"model": "m", "extra_headers": ["no colon"]}, "'Name: value'"),
    ],
)
def test_target_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_target("http://h", environ={}, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="http"):
        build_target("h:80", model="m", environ={})


def test_sweep_rates() -> None:
    assert sweep_rates("5:20:5") == [5.0, 10.0, 15.0, 20.0]
    assert sweep_rates("0.5:1.5:0.5") == [0.5, 1.0, 1.5]
    for bad in ("5:20", "a:b:c", "0:10:1", "10:5:1", "1:1000:1"):
        with pytest.raises(ValueError, match="--sweep"):
            sweep_rates(bad)
