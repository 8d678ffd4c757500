"""Render any GatewayError as OpenAI's error JSON, in one place."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sluicegate.core.errors import AllBackendsFailed, ContentFiltered, GatewayError
from sluicegate.wire.errors import error_body

_JSON = "application/json"


def error_response(error: GatewayError, headers: dict[str, str]) -> web.Response:
    """An OpenAI-shaped error reply; `headers` are the gateway's own reply headers."""
    extra: dict[str, Any] | None = None
    if isinstance(error, AllBackendsFailed):
        extra = {"attempts": [attempt.as_dict() for attempt in error.attempts]}
    elif isinstance(error, ContentFiltered):
        extra = {
            "status": error.status,
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": error.results,
            },
        }
    body = error_body(error.message, error.error_type, error.code, error.param, extra)
    if error.headers:
        headers = {**headers, **error.headers}
    return web.Response(status=error.status, body=body, content_type=_JSON, headers=headers)
