"""Answer unknown paths in OpenAI's error shape instead of aiohttp's plain text."""

from __future__ import annotations

from aiohttp import web

from sluicegate.core.errors import NotFound
from sluicegate.server.errors import error_response
from sluicegate.server.ids import id_headers


async def not_found(request: web.Request) -> web.Response:
    error = NotFound(
        f"Unknown path {request.method} {request.path}. The gateway serves /v1/chat/completions, "
        "/v1/completions, /v1/embeddings, /v1/models, the Azure OpenAI "
        "/openai/deployments/{deployment}/... paths, /healthz and /readyz."
    )
    return error_response(error, id_headers())
