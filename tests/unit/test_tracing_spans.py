"""The tracing policy's span lifecycle, driven by hand: when spans end, what they say on
refusals and cut streams, how trace headers are replaced, and how tracing is built."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from tests.exchanges import make_exchange
from tests.fakes.streams import Chunks

from sluicegate.config.loader import ConfigError
from sluicegate.config.settings import BackendSettings, GatewayConfig
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import RateLimited, UpstreamProtocolError
from sluicegate.core.exchange import Exchange, Usage
from sluicegate.core.reply import Reply
from sluicegate.telemetry.tracing import AttemptTarget, GatewayTracing, begin_attempt, trace_ids
from sluicegate.telemetry.tracing_env import resolve_tracing
from sluicegate.telemetry.tracing_setup import OTLP_MODULE, build_tracing, sampler_for

TARGET = AttemptTarget.of(
    BackendSettings(name="ptu-east", url="https://east.example.com", api="azure", deployment="d1")
)


class Failing(Chunks):
    async def _iterate(self) -> AsyncIterator[bytes]:
        yield b'data: {"id":"c1","model":"m","choices":[]}\n\n'
        raise UpstreamProtocolError("backend 'ptu-east': connection lost mid-stream")


def setup() -> tuple[GatewayTracing, InMemorySpanExporter, ManualClock]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({}), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    clock = ManualClock(start=100.0, wall_start=1_700_000_100.0)
    tracing = GatewayTracing(provider.get_tracer("test"), clock, {"ptu-east": "azure.ai.openai"})
    return tracing, exporter, clock


def by_kind(exporter: InMemorySpanExporter, kind: SpanKind) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.kind is kind]


def values(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


async def test_a_streamed_reply_ends_its_spans_after_the_hooks_and_the_last_chunk() -> None:
    tracing, exporter, clock = setup()
    exchange = make_exchange(stream=True, started_at=99.5, route="gpt-4o")
    stream = Chunks(
        b'data: {"id":"chatcmpl-1","model":"gpt-4o-2024","choices":[{"delta":{}}]}\n\n',
        b'data: {"choices":[{"finish_reason":"stop"}],"usage":null}\n\ndata: [DONE]\n\n',
    )

    async def upstream(exchange: Exchange) -> Reply:
        attempt = begin_attempt(exchange, TARGET)
        assert attempt is not None
        clock.advance(0.25)
        reply = Reply(200, {}, stream=stream, backend="ptu-east")
        attempt.replied(reply)
        exchange.served_by = "ptu-east"
        return reply

    reply = await tracing(exchange, upstream)
    assert reply.stream is not None
    assert reply.stream is not stream
    exchange.status = 200
    exchange.first_byte_at = clock.now()
    received = []
    async for chunk in reply.stream:
        received.append(chunk)
        if len(received) == 2:  # the relay runs the hooks just before `[DONE]` goes out
            exchange.usage = Usage(prompt_tokens=7, completion_tokens=3, total_tokens=10)
            await exchange.finish()
            assert exporter.get_finished_spans() == ()
            clock.advance(0.5)
    await reply.release()

    [root] = by_kind(exporter, SpanKind.SERVER)
    [attempt] = by_kind(exporter, SpanKind.CLIENT)
    # Wall time from the gateway's clock (ns; a double keeps them to within a microsecond).
    assert root.start_time == pytest.approx(1_700_000_099_500_000_000, abs=1000)  # arrival
    assert root.end_time == attempt.end_time
    assert root.end_time == pytest.approx(1_700_000_100_750_000_000, abs=1000)
    attrs = values(root)
    assert attrs["gen_ai.response.id"] == "chatcmpl-1"
    assert attrs["gen_ai.response.model"] == "gpt-4o-2024"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 7
    assert attrs["gen_ai.response.time_to_first_chunk"] == pytest.approx(0.75)
    assert attrs["gen_ai.provider.name"] == "azure.ai.openai"
    assert "error.type" not in attrs
    assert values(attempt)["server.address"] == "east.example.com"
    assert values(attempt)["server.port"] == 443
    assert attempt.name == "chat d1"


async def test_a_stream_the_client_left_is_cancelled_in_both_spans() -> None:
    tracing, exporter, _ = setup()
    exchange = make_exchange(stream=True)

    async def upstream(exchange: Exchange) -> Reply:
        attempt = begin_attempt(exchange, TARGET)
        assert attempt is not None
        reply = Reply(200, {}, stream=Chunks(b"data: {}\n\n", b"data: {}\n\n"))
        attempt.replied(reply)
        return reply

    reply = await tracing(exchange, upstream)
    exchange.status = 200
    assert reply.stream is not None
    await anext(aiter(reply.stream))
    await reply.release()  # the client went away after the first chunk
    assert exporter.get_finished_spans() != ()  # the attempt ended with its stream
    await exchange.finish()

    [root] = by_kind(exporter, SpanKind.SERVER)
    [attempt] = by_kind(exporter, SpanKind.CLIENT)
    assert values(root)["error.type"] == "cancelled"
    assert root.status.status_code is StatusCode.UNSET  # the status already sent was 200
    assert values(attempt)["error.type"] == "cancelled"


async def test_a_stream_broken_upstream_marks_the_attempt_and_the_request() -> None:
    tracing, exporter, _ = setup()
    exchange = make_exchange(stream=True)

    async def upstream(exchange: Exchange) -> Reply:
        attempt = begin_attempt(exchange, TARGET)
        assert attempt is not None
        reply = Reply(200, {}, stream=Failing())
        attempt.replied(reply)
        return reply

    reply = await tracing(exchange, upstream)
    assert reply.stream is not None
    with pytest.raises(UpstreamProtocolError):
        async for _ in reply.stream:
            pass
    exchange.status = 502  # what the relay records after the error event
    await exchange.finish()

    [root] = by_kind(exporter, SpanKind.SERVER)
    [attempt] = by_kind(exporter, SpanKind.CLIENT)
    assert values(root)["error.type"] == "upstream_protocol_error"
    assert root.status.status_code is StatusCode.ERROR
    assert values(attempt)["error.type"] == "upstream_protocol_error"
    assert attempt.status.status_code is StatusCode.ERROR


async def test_a_refusal_records_its_code_and_ends_at_the_finish_hook() -> None:
    tracing, exporter, _ = setup()
    exchange = make_exchange()

    async def refuse(exchange: Exchange) -> Reply:
        raise RateLimited("over the quota", retry_after_s=3.0)

    with pytest.raises(RateLimited):
        await tracing(exchange, refuse)
    assert exporter.get_finished_spans() == ()
    exchange.status = 429
    await exchange.finish()

    [root] = exporter.get_finished_spans()
    assert values(root)["http.response.status_code"] == 429
    assert values(root)["error.type"] == RateLimited.code
    assert values(root)["sluicegate.attempts"] == 0
    ids = trace_ids(exchange)
    assert ids == (f"{root.context.trace_id:032x}", f"{root.context.span_id:016x}")


async def test_an_attempt_replaces_the_clients_trace_headers_whatever_their_case() -> None:
    tracing, _, _ = setup()
    exchange = make_exchange(
        client_headers={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    )

    async def nothing(exchange: Exchange) -> Reply:
        return Reply(200)

    await tracing(exchange, nothing)
    attempt = begin_attempt(exchange, TARGET)
    assert attempt is not None
    headers = {"Traceparent": "00-aaaa-bbbb-01", "TraceState": "x=1", "x-other": "kept"}
    attempt.inject(headers)
    assert set(headers) == {"traceparent", "x-other"}
    assert headers["traceparent"].startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    assert begin_attempt(make_exchange(), TARGET) is None  # an untraced request


def minimal_config(**tracing: Any) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {
            "backends": [{"name": "b", "url": "http://127.0.0.1:9"}],
            "pools": {"p": {"members": [{"backend": "b"}]}},
            "models": {"m": {"pool": "p"}},
            "tracing": tracing,
        }
    )


async def test_building_tracing_never_touches_the_global_provider() -> None:
    clock = ManualClock()
    assert build_tracing(minimal_config(), clock, {}) is None
    tracing = build_tracing(minimal_config(enabled=True, exporter="console"), clock, {})
    assert tracing is not None
    assert not isinstance(trace_api.get_tracer_provider(), TracerProvider)
    await tracing.close()


def test_a_missing_otlp_exporter_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, OTLP_MODULE, None)  # as if it were not installed
    with pytest.raises(ConfigError, match=r"pip install 'sluicegate\[otlp\]'"):
        build_tracing(minimal_config(enabled=True), ManualClock(), {})


@pytest.mark.parametrize(
    ("environ", "description"),
    [
        ({}, "ParentBased{root:TraceIdRatioBased{0.5}"),
        ({"OTEL_TRACES_SAMPLER": "always_on"}, "AlwaysOnSampler"),
        ({"OTEL_TRACES_SAMPLER": "parentbased_always_off"}, "ParentBased{root:AlwaysOffSampler"),
    ],
)
def test_samplers_follow_the_plan(environ: dict[str, str], description: str) -> None:
    plan = resolve_tracing(minimal_config(enabled=True, sample_ratio=0.5).tracing, environ)
    assert plan is not None
    assert sampler_for(plan).get_description().startswith(description)
