"""Request ids: every reply carries one, under the OpenAI and the Azure header name."""

from __future__ import annotations

import uuid

REQUEST_ID = "x-request-id"
APIM_REQUEST_ID = "apim-request-id"


def new_request_id() -> str:
    return uuid.uuid4().hex


def id_headers(request_id: str | None = None) -> dict[str, str]:
    """Both request-id headers, for a new id unless one is given."""
    request_id = request_id or new_request_id()
    return {REQUEST_ID: request_id, APIM_REQUEST_ID: request_id}
