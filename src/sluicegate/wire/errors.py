"""OpenAI's error JSON shape."""

from __future__ import annotations

from typing import Any

import orjson


def error_body(
    message: str,
    error_type: str,
    code: str | None,
    param: str | None = None,
    extra: dict[str, Any] | None = None,
) -> bytes:
    """Render `{"error": {...}}` as OpenAI and Azure OpenAI clients parse it."""
    error: dict[str, Any] = {"message": message, "type": error_type, "param": param, "code": code}
    if extra:
        error.update(extra)
    return orjson.dumps({"error": error})
