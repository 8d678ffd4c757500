"""OpenTelemetry traces of the request path: a server span per model request, named after the
GenAI conventions (`chat gpt-4o`), and a client span per upstream attempt under it.

`GatewayTracing` is a policy placed first in every chain, so it sees each request before
authentication and every error raised behind it. It continues the client's W3C trace
(`traceparent`), keeps the request's `RequestTrace` on `exchange.trace` for the backends'
attempt spans, and ends the server span after the last byte: when the finish hooks have run
and, for a stream, the stream has ended (the hooks run just before the final `[DONE]` frame
goes out), whichever comes last.

When tracing is off none of this exists: no policy, no tracer, no span objects;
`exchange.trace` stays None and the backend checks only that. The gateway owns its tracer
provider (never the process-global one) and `close()` flushes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer, set_span_in_context

from sluicegate.core.clock import Clock
from sluicegate.core.errors import GatewayError
from sluicegate.core.exchange import Exchange
from sluicegate.core.policy import Handler
from sluicegate.core.reply import ByteStream, Reply
from sluicegate.telemetry import genai_attributes as attr
from sluicegate.telemetry.attempt_span import PROPAGATOR, AttemptSpan, AttemptTarget
from sluicegate.telemetry.reply_facts import ReplyFacts
from sluicegate.wire.endpoints import Endpoint

__all__ = ["AttemptTarget", "GatewayTracing", "RequestTrace", "begin_attempt", "trace_ids"]

_NS = 1_000_000_000


class GatewayTracing:
    """The tracing policy; one per gateway, built only when tracing is on."""

    __slots__ = ("_clock", "_close", "_providers", "_tracer")

    def __init__(
        self,
        tracer: Tracer,
        clock: Clock,
        providers: Mapping[str, str],
        close: Callable[[], object] | None = None,
    ) -> None:
        """`providers` maps backend names to `gen_ai.provider.name`; `close` flushes and
        shuts down the tracer provider when the gateway owns it (it may block: it runs in a
        thread)."""
        self._tracer = tracer
        self._clock = clock
        self._providers = providers
        self._close = close

    async def __call__(self, exchange: Exchange, call_next: Handler) -> Reply:
        trace = RequestTrace(self._tracer, self._clock, exchange, self._providers)
        exchange.trace = trace
        exchange.on_finish(trace.request_finished)
        try:
            reply = await call_next(exchange)
        except GatewayError as error:
            trace.failed(error.code or error.error_type)
            raise
        except asyncio.CancelledError:
            trace.cancelled()
            raise
        except Exception as error:
            trace.failed(type(error).__qualname__)
            raise
        return trace.replied(reply)

    async def close(self) -> None:
        """Export what is still queued and stop the exporter (application cleanup)."""
        if self._close is not None:
            close, self._close = self._close, None
            await asyncio.to_thread(close)


class RequestTrace:
    """One request's server span, its attempts, and what is known of the reply so far."""

    __slots__ = (
        "_attempt",
        "_attempts",
        "_cancelled",
        "_clock",
        "_context",
        "_ended",
        "_error_type",
        "_exchange",
        "_facts",
        "_finished",
        "_offset",
        "_providers",
        "_span",
        "_streaming",
        "_tracer",
    )

    def __init__(
        self, tracer: Tracer, clock: Clock, exchange: Exchange, providers: Mapping[str, str]
    ) -> None:
        self._tracer = tracer
        self._clock = clock
        self._exchange = exchange
        self._providers = providers
        self._offset = clock.wall() - clock.now()
        parent = PROPAGATOR.extract(exchange.client_headers)
        operation = exchange.endpoint.operation
        self._span: Span = tracer.start_span(
            f"{operation} {exchange.model}" if exchange.model else operation,
            context=parent,
            kind=SpanKind.SERVER,
            start_time=self._ns(exchange.started_at),
            attributes=_request_attributes(exchange, operation),
        )
        self._context: Context = set_span_in_context(self._span, parent)
        self._attempt: AttemptSpan | None = None
        self._attempts = 0
        self._facts: ReplyFacts | None = None
        self._error_type: str | None = None
        self._cancelled = False
        self._streaming = False
        self._finished = False
        self._ended = False

    @property
    def span(self) -> Span:
        return self._span

    def now_ns(self) -> int:
        """Wall time in nanoseconds from the gateway's clock, for span start and end times."""
        return self._ns(self._clock.now())

    def _ns(self, monotonic: float) -> int:
        return int((self._offset + monotonic) * _NS)

    def attempt(self, target: AttemptTarget) -> AttemptSpan:
        """Open the span of the next upstream attempt, a child of the server span."""
        self._attempts += 1
        exchange = self._exchange
        attempt = AttemptSpan.start(
            self._tracer,
            self._context,
            target,
            operation=exchange.endpoint.operation,
            requested_model=exchange.model,
            number=self._attempts,
            now_ns=self.now_ns,
        )
        self._attempt = attempt
        return attempt

    def failed(self, error_type: str) -> None:
        self._error_type = error_type

    def cancelled(self) -> None:
        self._cancelled = True

    def replied(self, reply: Reply) -> Reply:
        """Watch the reply on its way out: its body now, or its stream as it passes."""
        if not self._span.is_recording() or reply.status >= 300:
            return reply
        facts = self._facts = ReplyFacts()
        if reply.stream is None:
            facts.read_body(reply.body)
        else:
            self._streaming = True
            reply.stream = TracedStream(reply.stream, self, facts)
        return reply

    def stream_ended(self, error_type: str | None = None, *, cancelled: bool = False) -> None:
        """The reply's stream ended, failed, or was closed early; the first call counts."""
        if not self._streaming:
            return
        self._streaming = False
        if cancelled:
            self._cancelled = True
        elif error_type is not None:
            self._error_type = error_type
        attempt = self._attempt
        if attempt is not None and attempt.streaming:
            attempt.end(attr.CANCELLED if cancelled else error_type)
        if self._finished:
            self._end()

    async def request_finished(self, exchange: Exchange) -> None:
        """The finish hook: ends the span now, or when the stream ends if it still runs."""
        self._finished = True
        if not self._streaming:
            self._end()

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        attempt = self._attempt
        if attempt is not None and not attempt.ended:
            # Still open: a stream that ended with the request, or an attempt cut short.
            attempt.end(attr.CANCELLED if self._cancelled or not attempt.streaming else None)
        span = self._span
        if span.is_recording():
            self._record_outcome(span)
        span.end(end_time=self.now_ns())

    def _record_outcome(self, span: Span) -> None:
        exchange = self._exchange
        status = exchange.status
        outcome: dict[str, Any] = {}
        if status is not None:
            outcome[attr.HTTP_STATUS] = status
        served_by = exchange.served_by
        if served_by:
            outcome[attr.BACKEND] = served_by
            provider = self._providers.get(served_by)
            if provider is not None:
                outcome[attr.PROVIDER] = provider
        outcome[attr.ATTEMPTS] = len(exchange.attempts) + (1 if served_by else 0)
        outcome[attr.SPILLED_OVER] = exchange.spilled_over
        if exchange.principal is not None:
            outcome[attr.TEAM] = exchange.principal.team
        usage = exchange.usage
        if usage is not None:
            outcome[attr.INPUT_TOKENS] = usage.prompt_tokens
            if exchange.endpoint is not Endpoint.EMBEDDINGS:
                outcome[attr.OUTPUT_TOKENS] = usage.completion_tokens
            if usage.cached_tokens:
                outcome[attr.CACHE_READ_INPUT_TOKENS] = usage.cached_tokens
        facts = self._facts
        if facts is not None:
            if facts.response_id is not None:
                outcome[attr.RESPONSE_ID] = facts.response_id
            if facts.model is not None:
                outcome[attr.RESPONSE_MODEL] = facts.model
            if facts.finish_reasons:
                outcome[attr.RESPONSE_FINISH_REASONS] = facts.finish_reasons
        if exchange.stream and exchange.first_byte_at is not None:
            outcome[attr.RESPONSE_TIME_TO_FIRST_CHUNK] = (
                exchange.first_byte_at - exchange.started_at
            )
        error_type = self._error_type
        if error_type is None and status is not None and status >= 400:
            error_type = str(status)
        if error_type is None and self._cancelled:
            error_type = attr.CANCELLED
        if error_type is not None:
            outcome[attr.ERROR_TYPE] = error_type
        span.set_attributes(outcome)
        if (status is not None and status >= 500) or (status is None and error_type):
            span.set_status(StatusCode.ERROR, error_type)


class TracedStream:
    """The client's stream, watched for reply facts and for how it ends."""

    __slots__ = ("_facts", "_inner", "_iterator", "_trace")

    def __init__(self, inner: ByteStream, trace: RequestTrace, facts: ReplyFacts) -> None:
        self._inner = inner
        self._iterator: AsyncIterator[bytes] = inner.__aiter__()
        self._trace = trace
        self._facts = facts

    def __aiter__(self) -> TracedStream:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk = await self._iterator.__anext__()
        except StopAsyncIteration:
            self._trace.stream_ended()
            raise
        except GatewayError as error:
            self._trace.stream_ended(error.code or error.error_type)
            raise
        except Exception as error:
            self._trace.stream_ended(type(error).__qualname__)
            raise
        except BaseException:
            self._trace.stream_ended(cancelled=True)
            raise
        self._facts.feed(chunk)
        return chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            # Closed before its end: the client went away or the deadline cut it.
            self._trace.stream_ended(cancelled=True)


def begin_attempt(exchange: Exchange, target: AttemptTarget) -> AttemptSpan | None:
    """The span of an upstream attempt, when the request is traced (call only when
    `exchange.trace` is set: that check is all an untraced request pays)."""
    trace = exchange.trace
    if not isinstance(trace, RequestTrace):
        return None
    return trace.attempt(target)


def trace_ids(exchange: Exchange) -> tuple[str, str] | None:
    """The request's trace id and server span id in hex, to correlate logs with traces."""
    trace = exchange.trace
    if not isinstance(trace, RequestTrace):
        return None
    context = trace.span.get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


def _request_attributes(exchange: Exchange, operation: str) -> dict[str, Any]:
    """What is known when the request arrives (samplers see these)."""
    attributes: dict[str, Any] = {
        attr.OPERATION: operation,
        attr.REQUEST_MODEL: exchange.model,
        attr.HTTP_METHOD: "POST",
        attr.REQUEST_ID: exchange.request_id,
    }
    if exchange.endpoint.streams:
        attributes[attr.REQUEST_STREAM] = exchange.stream
    if exchange.route:
        attributes[attr.ROUTE] = exchange.route
    if exchange.prompt_version:
        attributes[attr.PROMPT_VERSION] = exchange.prompt_version
    if exchange.prompt_label:
        attributes[attr.PROMPT_LABEL] = exchange.prompt_label
    body = exchange.body
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if isinstance(max_tokens, int) and not isinstance(max_tokens, bool):
        attributes[attr.REQUEST_MAX_TOKENS] = max_tokens
    for key, name in (("temperature", attr.REQUEST_TEMPERATURE), ("top_p", attr.REQUEST_TOP_P)):
        value = body.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            attributes[name] = float(value)
    return attributes
