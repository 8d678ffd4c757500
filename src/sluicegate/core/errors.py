"""The one error tree. Each error knows its HTTP status and OpenAI error type and code.

Foreign exceptions are translated into these at the boundary that raised them; the server
renders them to OpenAI's error JSON in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class GatewayError(Exception):
    """Base of every error the gateway answers with."""

    status: int = 500
    error_type: str = "server_error"
    code: str | None = None
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.param = param
        self.headers: dict[str, str] = dict(headers or {})


class InvalidRequest(GatewayError):
    status = 400
    error_type = "invalid_request_error"


class ContentFiltered(InvalidRequest):
    """400 as Azure OpenAI answers a filtered prompt: `code: content_filter`, with the verdict
    per category in `innererror.content_filter_result` (never the text that was flagged)."""

    code = "content_filter"

    def __init__(self, message: str, results: Mapping[str, object], *, param: str = "prompt"):
        super().__init__(message, param=param)
        self.results = dict(results)


class AuthenticationFailed(GatewayError):
    status = 401
    error_type = "authentication_error"
    code = "invalid_api_key"


class PermissionDenied(GatewayError):
    status = 403
    error_type = "permission_error"
    code = "permission_denied"


class NotFound(GatewayError):
    status = 404
    error_type = "invalid_request_error"
    code = "not_found"


class ModelNotFound(NotFound):
    code = "model_not_found"


class MethodNotAllowed(GatewayError):
    status = 405
    error_type = "invalid_request_error"
    code = "method_not_allowed"


class Conflict(GatewayError):
    """An administrative action clashes with what is stored (a name taken, a team in use)."""

    status = 409
    error_type = "invalid_request_error"
    code = "conflict"


class PayloadTooLarge(GatewayError):
    status = 413
    error_type = "invalid_request_error"
    code = "request_too_large"


class RateLimited(GatewayError):
    """429. Always carries Retry-After and retry-after-ms."""

    status = 429
    error_type = "rate_limit_error"
    code = "rate_limit_exceeded"
    retryable = True

    def __init__(self, message: str, *, retry_after_s: float, code: str | None = None) -> None:
        retry_after_s = max(0.0, retry_after_s)
        super().__init__(
            message,
            code=code,
            headers={
                "Retry-After": str(max(1, _ceil(retry_after_s))),
                "retry-after-ms": str(_ceil(retry_after_s * 1000)),
            },
        )
        self.retry_after_s = retry_after_s


class BudgetExceeded(RateLimited):
    """429 in OpenAI's shape for a spent quota (`insufficient_quota`): retrying helps only
    once the budget's period has ended, and Retry-After says when that is."""

    error_type = "insufficient_quota"
    code = "budget_exceeded"
    retryable = False


class UpstreamError(GatewayError):
    """Base of failures talking to a backend; the pool may try another member."""

    status = 502
    error_type = "server_error"
    code = "upstream_error"
    retryable = True


class UpstreamConnectError(UpstreamError):
    code = "upstream_connect_error"


class UpstreamTimeout(UpstreamError):
    status = 504
    code = "upstream_timeout"


class UpstreamProtocolError(UpstreamError):
    """The backend broke the protocol (bad framing, dropped stream)."""

    code = "upstream_protocol_error"


@dataclass(frozen=True, slots=True)
class AttemptSummary:
    """What one upstream attempt did; safe to show a client (no URLs, no secrets)."""

    backend: str
    status: int | None
    error: str | None
    duration_ms: float

    def as_dict(self) -> dict[str, object]:
        return {
            "backend": self.backend,
            "status": self.status,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 1),
        }


class AllBackendsFailed(UpstreamError):
    """Every attempt failed; carries a per-attempt summary for the client."""

    code = "all_backends_failed"

    def __init__(self, message: str, attempts: Sequence[AttemptSummary]) -> None:
        super().__init__(message)
        self.attempts = tuple(attempts)


class ServiceUnavailable(GatewayError):
    status = 503
    error_type = "server_error"
    code = "service_unavailable"
    retryable = True


class InternalError(GatewayError):
    status = 500
    error_type = "server_error"
    code = "internal_error"


def _ceil(value: float) -> int:
    whole = int(value)
    return whole if whole == value else whole + 1
