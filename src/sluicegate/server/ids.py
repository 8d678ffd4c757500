"""Request ids: every reply carries one, under the OpenAI and the Azure header name."""

from __future__ import annotations

import itertools
import os
import uuid

REQUEST_ID = "x-request-id"
APIM_REQUEST_ID = "apim-request-id"


def new_request_id() -> str:
    return uuid.uuid4().hex


def id_headers(request_id: str | None = None) -> dict[str, str]:
    """Both request-id headers, for a new id unless one is given."""
    request_id = request_id or new_request_id()
    return {REQUEST_ID: request_id, APIM_REQUEST_ID: request_id}


class RequestIds:
    """Request ids for the hot path: a random per-process prefix and a counter, so ids are
    unique across replicas without a system call per request (uuid4 reads the kernel's random
    source every time). 32 hex characters, like a uuid4's hex."""

    __slots__ = ("_counter", "_prefix")

    def __init__(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count(1)

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"
