"""The client span of one upstream attempt, and the trace context the backend receives.

Each attempt is a child of the request's server span; its own context is what goes upstream
in `traceparent`/`tracestate`, so the backend's spans hang under the attempt that reached it.
A throttled attempt records the backend's retry headers as they came
(`http.response.header.retry-after-ms`), the way the HTTP conventions record headers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from yarl import URL

from sluicegate.config.settings import BackendSettings
from sluicegate.core.errors import GatewayError
from sluicegate.core.reply import Reply
from sluicegate.telemetry import genai_attributes as attr

PROPAGATOR: Final = TraceContextTextMapPropagator()
W3C_HEADERS = frozenset({"traceparent", "tracestate"})
_RETRY_HEADERS = ("retry-after-ms", "retry-after")
_PROVIDERS = {"azure": "azure.ai.openai", "openai": "openai"}


def provider_name(settings: BackendSettings) -> str:
    """`gen_ai.provider.name` of a backend: Azure OpenAI or OpenAI(-compatible)."""
    return _PROVIDERS[settings.api]


@dataclass(frozen=True, slots=True)
class AttemptTarget:
    """What an attempt span says about its backend; built once per backend."""

    backend: str
    provider: str
    address: str
    port: int
    model: str | None
    """The name upstream knows the model by (Azure deployment, configured model); None when
    the client's model name is forwarded."""

    @classmethod
    def of(cls, settings: BackendSettings) -> AttemptTarget:
        url = URL(settings.url)
        return cls(
            backend=settings.name,
            provider=provider_name(settings),
            address=url.host or "",
            port=url.port or (443 if url.scheme == "https" else 80),
            model=settings.deployment if settings.api == "azure" else settings.model,
        )


class AttemptSpan:
    """One attempt's span: open until its reply is read, or its stream has ended."""

    __slots__ = ("_ended", "_now_ns", "_span", "streaming")

    def __init__(self, span: Span, now_ns: Callable[[], int]) -> None:
        self._span = span
        self._now_ns = now_ns
        self._ended = False
        self.streaming = False

    @classmethod
    def start(
        cls,
        tracer: Tracer,
        parent: Context,
        target: AttemptTarget,
        *,
        operation: str,
        requested_model: str,
        number: int,
        now_ns: Callable[[], int],
    ) -> AttemptSpan:
        model = target.model or requested_model
        span = tracer.start_span(
            f"{operation} {model}" if model else operation,
            context=parent,
            kind=SpanKind.CLIENT,
            start_time=now_ns(),
            attributes={
                attr.OPERATION: operation,
                attr.PROVIDER: target.provider,
                attr.REQUEST_MODEL: model,
                attr.SERVER_ADDRESS: target.address,
                attr.SERVER_PORT: target.port,
                attr.HTTP_METHOD: "POST",
                attr.BACKEND: target.backend,
                attr.ATTEMPT: number,
            },
        )
        return cls(span, now_ns)

    def inject(self, headers: dict[str, str]) -> None:
        """Replace any client trace headers with this attempt's context."""
        for name in [name for name in headers if name.lower() in W3C_HEADERS]:
            del headers[name]
        PROPAGATOR.inject(headers, set_span_in_context(self._span))

    def replied(self, reply: Reply) -> None:
        """The backend answered; a streamed reply keeps the span open until it ends."""
        span = self._span
        status = reply.status
        if span.is_recording():
            span.set_attribute(attr.HTTP_STATUS, status)
            _record_retry_headers(span, reply.headers)
            if status >= 400:
                span.set_attribute(attr.ERROR_TYPE, str(status))
                span.set_status(StatusCode.ERROR, str(status))
        if reply.stream is not None:
            self.streaming = True
        else:
            self.end()

    def failed(self, error: GatewayError) -> None:
        """No usable reply: a connect error, a timeout, a malformed reply."""
        self.end(error.code or error.error_type)

    def end(self, error_type: str | None = None) -> None:
        if self._ended:
            return
        self._ended = True
        span = self._span
        if error_type is not None and span.is_recording():
            span.set_attribute(attr.ERROR_TYPE, error_type)
            span.set_status(StatusCode.ERROR, error_type)
        span.end(end_time=self._now_ns())

    @property
    def ended(self) -> bool:
        return self._ended


def _record_retry_headers(span: Span, headers: Mapping[str, str]) -> None:
    for name in _RETRY_HEADERS:
        value = headers.get(name)
        if value is not None:
            span.set_attribute(f"{attr.HTTP_RESPONSE_HEADER}.{name}", [value])
