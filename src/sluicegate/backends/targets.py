"""Where a backend's requests go and what body they carry, worked out once per backend."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson
from yarl import URL

from sluicegate.config.settings import BackendSettings
from sluicegate.wire.endpoints import Endpoint


def target_url(settings: BackendSettings, endpoint: Endpoint) -> URL:
    """The upstream URL for one operation.

    Azure: `{url}/openai/deployments/{deployment}/{operation}?api-version={api_version}`.
    OpenAI-style: `{url}/{operation}`, where `url` is the base that already ends in `/v1`.
    """
    if settings.api == "azure":
        deployment = quote(settings.deployment or "", safe="")
        path = f"{settings.url}/openai/deployments/{deployment}/{endpoint.value}"
        return URL(path).with_query({"api-version": settings.api_version})
    return URL(f"{settings.url}/{endpoint.value}")


def target_urls(settings: BackendSettings) -> dict[Endpoint, URL]:
    """Every operation's URL, so the hot path only looks one up."""
    return {endpoint: target_url(settings, endpoint) for endpoint in Endpoint}


class BodyRewriter:
    """Sets the upstream `model` name for OpenAI-style backends that name one.

    Works on the exact bytes that would go upstream (the client's, or a policy's rewrite),
    so nothing a policy changed is lost; when the name already matches, the bytes pass as-is.
    """

    __slots__ = ("_model",)

    def __init__(self, model: str) -> None:
        self._model = model

    def __call__(self, upstream: bytes) -> bytes:
        try:
            body: Any = orjson.loads(upstream)
        except orjson.JSONDecodeError:
            return upstream
        if not isinstance(body, dict) or body.get("model") == self._model:
            return upstream
        body["model"] = self._model
        return orjson.dumps(body)


def body_rewriter(settings: BackendSettings) -> BodyRewriter | None:
    """The rewriter this backend needs, or None when bodies are forwarded untouched."""
    if settings.api == "openai" and settings.model:
        return BodyRewriter(settings.model)
    return None
