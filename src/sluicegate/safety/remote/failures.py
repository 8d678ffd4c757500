"""The one error a remote detector raises, whatever went wrong.

Messages name the detector, the operation and what failed (a status, an error code, a
timeout), and never a key, a token, a URL or the checked text: they are logged, and in
fail-closed mode they reach the client inside a 503.
"""

from __future__ import annotations

import re

_SAFE_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class RemoteDetectorError(Exception):
    """A remote detector could not give a verdict.

    `outage` tells a service failure (timeout, connection, 401/403/404, 429, 5xx, a malformed
    reply) from a rejection of this one request (400, 413, 422), which says nothing about
    whether the next request will work. `retry_after_s` is the service's own Retry-After.
    """

    def __init__(
        self,
        detector: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        outage: bool = True,
        retry_after_s: float | None = None,
    ) -> None:
        self.detector = detector
        self.status = status
        self.code = code
        self.outage = outage
        self.retry_after_s = retry_after_s
        super().__init__(f"{detector}: {message}")

    @property
    def message(self) -> str:
        return str(self)


def safe_code(value: object) -> str | None:
    """A service's error code if it looks like one (`InvalidRequestBody`), else None.

    Codes are copied into messages; anything longer or stranger might carry input text.
    """
    if isinstance(value, str) and _SAFE_CODE.fullmatch(value):
        return value
    return None


REQUEST_REJECTED = frozenset({400, 413, 422})
"""Statuses that reject one request; every other failure is treated as the service being down."""
