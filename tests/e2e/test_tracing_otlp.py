"""The OTLP/HTTP exporter as configured: spans reach a collector (a local stub that decodes
the protobuf with OpenTelemetry's own classes) when the gateway shuts down and flushes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from tests.e2e.support import gateway_config, served, sim_deployment
from tests.e2e.tracing_support import MESSAGES, MODEL, running_gateway, simulator

from sluicegate.config.telemetry import TracingSettings

pytestmark = pytest.mark.e2e


@dataclass
class Collector:
    url: str = ""
    exports: list[ExportTraceServiceRequest] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    async def traces(self, request: web.Request) -> web.Response:
        self.headers.append({key.lower(): value for key, value in request.headers.items()})
        self.exports.append(ExportTraceServiceRequest.FromString(await request.read()))
        return web.Response(
            body=ExportTraceServiceResponse().SerializeToString(),
            content_type="application/x-protobuf",
        )

    def spans(self) -> list[Span]:
        return [
            span
            for export in self.exports
            for resource_spans in export.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]

    def resources(self) -> list[dict[str, Any]]:
        return [
            {item.key: _value(item.value) for item in resource_spans.resource.attributes}
            for export in self.exports
            for resource_spans in export.resource_spans
        ]


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return tuple(_value(item) for item in value.array_value.values)
    return getattr(value, kind) if kind else None


def span_attributes(span: Span) -> dict[str, Any]:
    return {item.key: _value(item.value) for item in span.attributes}


@asynccontextmanager
async def collector() -> AsyncIterator[Collector]:
    stub = Collector()
    app = web.Application()
    app.router.add_post("/v1/traces", stub.traces)
    async with served(app) as url:
        stub.url = url
        yield stub


async def test_spans_are_exported_over_otlp_http_when_the_gateway_stops() -> None:
    deployments = [sim_deployment("only")]
    async with simulator(deployments) as sim_url, collector() as sink:
        tracing = TracingSettings.model_validate(
            {
                "enabled": True,
                "exporter": "otlp",
                "endpoint": f"{sink.url}/v1/traces",
                "headers": {"x-collector-key": "collector-secret"},
                "service_name": "gateway-under-test",
                "batch": {"schedule_delay_ms": 600_000},
            }
        )
        config = gateway_config(sim_url, deployments).model_copy(update={"tracing": tracing})
        async with running_gateway(config) as gateway, gateway.client() as client:
            completion = await client.chat.completions.create(
                model=MODEL, messages=MESSAGES, max_tokens=8
            )
            assert sink.exports == []  # batched: nothing is sent before the delay…
            await gateway.stop()  # …or the cleanup, which shuts the provider down and flushes

    assert completion.usage is not None
    assert sink.headers[0]["content-type"] == "application/x-protobuf"
    assert sink.headers[0]["x-collector-key"] == "collector-secret"
    assert {"service.name": "gateway-under-test"}.items() <= sink.resources()[0].items()
    spans = {span.kind: span for span in sink.spans()}
    assert set(spans) == {Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CLIENT}
    server, client_span = spans[Span.SPAN_KIND_SERVER], spans[Span.SPAN_KIND_CLIENT]
    assert server.name == f"chat {MODEL}"
    assert client_span.parent_span_id == server.span_id
    assert client_span.trace_id == server.trace_id
    values = span_attributes(server)
    assert values["gen_ai.operation.name"] == "chat"
    assert values["gen_ai.request.model"] == MODEL
    assert values["gen_ai.usage.input_tokens"] == completion.usage.prompt_tokens
    assert values["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens
    assert values["gen_ai.response.finish_reasons"] == (completion.choices[0].finish_reason,)
    assert values["http.response.status_code"] == 200
    assert span_attributes(client_span)["sluicegate.backend"] == "only"
