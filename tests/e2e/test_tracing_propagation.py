"""W3C trace context across the gateway: the client's trace continues through the gateway's
spans to the backend; with tracing off the client's headers reach the backend untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from openai import AsyncOpenAI
from opentelemetry.trace import SpanKind
from tests.e2e.tracing_support import (
    MESSAGES,
    MODEL,
    Running,
    SpanSink,
    StubBackend,
    attributes,
    running_gateway,
    sink_provider,
    stub_backend,
    stub_config,
)

pytestmark = pytest.mark.e2e

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN_ID = "00f067aa0ba902b7"
TRACESTATE = "vendor=opaque-value"


@asynccontextmanager
async def stub_gateway(
    **sections: Any,
) -> AsyncIterator[tuple[StubBackend, Running, AsyncOpenAI, SpanSink]]:
    """The stub backend and a gateway in front (configured with `sections`) whose spans go to
    an in-memory sink: (the stub, the gateway, an SDK client of it, the sink)."""
    provider, sink = sink_provider()
    async with stub_backend() as stub:
        config = stub_config(stub.url, **sections)
        async with (
            running_gateway(config, tracer_provider=provider) as gateway,
            gateway.client() as client,
        ):
            yield stub, gateway, client, sink


async def test_the_clients_trace_continues_to_the_backend_through_the_attempt() -> None:
    async with stub_gateway(tracing={"enabled": True}) as (stub, _, client, sink):
        completion = await client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            extra_headers={
                "traceparent": f"00-{TRACE_ID}-{CLIENT_SPAN_ID}-01",
                "tracestate": TRACESTATE,
            },
        )
        [root] = await sink.requests(1)

    assert completion.choices[0].message.content == "Hello."
    assert f"{root.context.trace_id:032x}" == TRACE_ID
    assert root.parent is not None
    assert root.parent.is_remote
    assert f"{root.parent.span_id:016x}" == CLIENT_SPAN_ID
    [attempt] = sink.children_of(root)
    assert attempt.kind is SpanKind.CLIENT
    assert attempt.name == f"chat {MODEL}"  # OpenAI-style: the client's model goes upstream
    values = attributes(attempt)
    assert values["gen_ai.provider.name"] == "openai"
    assert values["server.address"] == "127.0.0.1"

    # The backend sees one traceparent: the client's trace, parented by the attempt's span.
    [traceparent] = stub.header(0, "traceparent")
    assert traceparent == f"00-{TRACE_ID}-{attempt.context.span_id:016x}-01"
    assert stub.header(0, "tracestate") == [TRACESTATE]
    # What the gateway never forwards stays behind, traced or not.
    assert stub.header(0, "authorization") == []

    root_values = attributes(root)
    assert root_values["gen_ai.response.model"] == "gpt-4o-2024-08-06"
    assert root_values["gen_ai.response.id"] == "chatcmpl-stub"
    assert root_values["gen_ai.usage.input_tokens"] == 9
    assert root_values["gen_ai.usage.output_tokens"] == 2


async def test_an_unsampled_caller_is_not_recorded_but_still_propagated() -> None:
    async with stub_gateway(tracing={"enabled": True}) as (stub, gateway, client, sink):
        await client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            extra_headers={"traceparent": f"00-{TRACE_ID}-{CLIENT_SPAN_ID}-00"},
        )
        await gateway.stop()
        # Stopped: every request has ended, and nothing was recorded.
        assert sink.get_finished_spans() == ()

    [traceparent] = stub.header(0, "traceparent")
    version, trace_id, parent_id, flags = traceparent.split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "00")
    assert parent_id != CLIENT_SPAN_ID  # the gateway's own (unrecorded) span


async def test_with_tracing_off_the_clients_trace_headers_pass_unchanged() -> None:
    async with stub_gateway() as (stub, gateway, client, sink):  # tracing is off by default
        assert gateway.gateway.tracing is None
        await client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            extra_headers={
                "traceparent": f"00-{TRACE_ID}-{CLIENT_SPAN_ID}-01",
                "tracestate": TRACESTATE,
            },
        )
        await gateway.stop()
        assert sink.get_finished_spans() == ()

    assert stub.header(0, "traceparent") == [f"00-{TRACE_ID}-{CLIENT_SPAN_ID}-01"]
    assert stub.header(0, "tracestate") == [TRACESTATE]
