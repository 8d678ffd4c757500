"""One way for tests to build an Exchange: a chat request for `gpt-4o`, overridable per field."""

from __future__ import annotations

from typing import Any

import orjson

from sluicegate.core.exchange import Exchange
from sluicegate.wire.endpoints import Endpoint

DEFAULT_BODY: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "hi"}],
}


def make_exchange(
    *,
    body: dict[str, Any] | None = None,
    started_at: float = 0.0,
    timeout: float = 600.0,
    **fields: Any,
) -> Exchange:
    """An Exchange whose raw bytes match its body; any other field may be given by name."""
    body = dict(DEFAULT_BODY) if body is None else body
    values: dict[str, Any] = {
        "request_id": "req-1",
        "endpoint": Endpoint.CHAT,
        "raw": orjson.dumps(body),
        "body": body,
        "model": str(body.get("model", "gpt-4o")),
        "stream": False,
        "include_usage": False,
        "client_headers": {},
        "started_at": started_at,
        "deadline": started_at + timeout,
    }
    values.update(fields)
    return Exchange(**values)
