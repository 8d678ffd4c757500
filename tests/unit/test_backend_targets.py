"""Upstream URLs and the model rewrite, worked out once per backend."""

from __future__ import annotations

import orjson
import pytest

from sluicegate.backends.targets import body_rewriter, target_url, target_urls
from sluicegate.config.settings import BackendSettings
from sluicegate.wire.endpoints import Endpoint


def azure(**extra: object) -> BackendSettings:
    return BackendSettings.model_validate(
        {
            "name": "ptu-east",
            "url": "https://east.openai.azure.com/",
            "api": "azure",
            "deployment": "gpt-4o",
            **extra,
        }
    )


def openai(**extra: object) -> BackendSettings:
    return BackendSettings.model_validate(
        {"name": "oai", "url": "https://api.openai.com/v1", "api": "openai", **extra}
    )


@pytest.mark.parametrize(
    ("endpoint", "suffix"),
    [
        (Endpoint.CHAT, "chat/completions"),
        (Endpoint.COMPLETIONS, "completions"),
        (Endpoint.EMBEDDINGS, "embeddings"),
    ],
)
def test_azure_url_names_deployment_operation_and_api_version(
    endpoint: Endpoint, suffix: str
) -> None:
    url = target_url(azure(api_version="2024-06-01"), endpoint)
    assert str(url) == (
        f"https://east.openai.azure.com/openai/deployments/gpt-4o/{suffix}?api-version=2024-06-01"
    )


def test_azure_deployment_name_is_quoted_as_one_path_segment() -> None:
    url = target_url(azure(deployment="my dep/x"), Endpoint.CHAT)
    assert url.raw_path == "/openai/deployments/my%20dep%2Fx/chat/completions"
    assert url.query["api-version"] == "2024-10-21"


def test_openai_url_appends_operation_to_base() -> None:
    assert str(target_url(openai(), Endpoint.CHAT)) == "https://api.openai.com/v1/chat/completions"
    assert str(target_url(openai(), Endpoint.EMBEDDINGS)) == "https://api.openai.com/v1/embeddings"
    assert target_url(openai(), Endpoint.CHAT).query_string == ""


def test_every_endpoint_has_a_precomputed_url() -> None:
    urls = target_urls(openai())
    assert set(urls) == set(Endpoint)


def test_no_rewriter_without_model_override() -> None:
    assert body_rewriter(openai()) is None
    assert body_rewriter(azure()) is None


def test_rewriter_sets_upstream_model_and_keeps_other_fields() -> None:
    rewrite = body_rewriter(openai(model="gpt-4o-2024-08-06"))
    assert rewrite is not None
    out = rewrite(b'{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"n":2}')
    assert orjson.loads(out) == {
        "model": "gpt-4o-2024-08-06",
        "messages": [{"role": "user", "content": "hi"}],
        "n": 2,
    }


def test_rewriter_adds_model_when_client_omitted_it() -> None:
    rewrite = body_rewriter(openai(model="m"))
    assert rewrite is not None
    assert orjson.loads(rewrite(b'{"input":"x"}')) == {"input": "x", "model": "m"}


def test_rewriter_passes_same_bytes_when_model_already_matches() -> None:
    rewrite = body_rewriter(openai(model="m"))
    assert rewrite is not None
    raw = b'{ "model" : "m", "input": "x" }'
    assert rewrite(raw) is raw


def test_rewriter_leaves_non_object_bodies_alone() -> None:
    rewrite = body_rewriter(openai(model="m"))
    assert rewrite is not None
    assert rewrite(b"not json") == b"not json"
    assert rewrite(b"[1,2]") == b"[1,2]"
