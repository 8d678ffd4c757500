"""Building blocks for the tracing tests: an in-memory span sink, a gateway started with a
tracer provider of the test's own, a simulator, and a backend stub that records headers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from openai import AsyncOpenAI
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from tests.e2e.support import served

from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig
from sluicegate.server.app import Gateway, create_gateway
from sluicegate.server.runner import Serving, start_serving
from sluicegate.simulator.server import SimulatorServer

MODEL = "gpt-4o"
MESSAGES: list[Any] = [{"role": "user", "content": "Tell me about sluice gates."}]


class SpanSink(InMemorySpanExporter):
    """Spans as they end (exported at once, on the event loop's thread), and a way to wait
    until the server spans of some number of requests have ended."""

    def __init__(self) -> None:
        super().__init__()
        self._server_span = asyncio.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = super().export(spans)
        if any(span.kind is SpanKind.SERVER for span in spans):
            self._server_span.set()
        return result

    def server_spans(self) -> list[ReadableSpan]:
        return [span for span in self.get_finished_spans() if span.kind is SpanKind.SERVER]

    def children_of(self, parent: ReadableSpan) -> list[ReadableSpan]:
        span_id = parent.context.span_id
        return [
            span
            for span in self.get_finished_spans()
            if span.parent is not None and span.parent.span_id == span_id
        ]

    async def requests(self, count: int) -> list[ReadableSpan]:
        """The server spans once `count` requests have ended (their attempts end first)."""
        async with asyncio.timeout(10):
            while len(self.server_spans()) < count:
                self._server_span.clear()
                await self._server_span.wait()
        return self.server_spans()


def sink_provider() -> tuple[TracerProvider, SpanSink]:
    sink = SpanSink()
    provider = TracerProvider(resource=Resource({"service.name": "test"}), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(sink))
    return provider, sink


@dataclass
class Running:
    url: str
    gateway: Gateway
    serving: Serving
    stopped: bool = False

    async def stop(self) -> None:
        """Stop serving and run the application's cleanup (which flushes its traces)."""
        if not self.stopped:
            self.stopped = True
            await self.serving.stop()

    def client(self) -> AsyncOpenAI:
        return AsyncOpenAI(base_url=f"{self.url}/v1", api_key="client-key", max_retries=0)


@asynccontextmanager
async def running_gateway(
    config: GatewayConfig,
    *,
    tracer_provider: TracerProvider | None = None,
    environ: dict[str, str] | None = None,
) -> AsyncIterator[Running]:
    built = create_gateway(config, environ=environ or {}, tracer_provider=tracer_provider)
    serving = await start_serving(built.app, "127.0.0.1", 0, grace=1.0)
    running = Running(serving.url, built, serving)
    try:
        yield running
    finally:
        await running.stop()


@asynccontextmanager
async def simulator(deployments: list[dict[str, Any]]) -> AsyncIterator[str]:
    server = SimulatorServer(
        SimulatorConfig.model_validate({"port": 0, "seed": 7, "deployments": deployments})
    )
    url = await server.start()
    try:
        yield url
    finally:
        await server.stop()


@dataclass
class StubBackend:
    """An OpenAI-style backend that answers every chat with one fixed completion and keeps
    the headers of each request it received."""

    url: str = ""
    received: list[list[tuple[str, str]]] = field(default_factory=list)

    def header(self, index: int, name: str) -> list[str]:
        return [value for key, value in self.received[index] if key.lower() == name]

    async def chat(self, request: web.Request) -> web.Response:
        self.received.append(list(request.headers.items()))
        await request.read()
        return web.json_response(
            {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": "gpt-4o-2024-08-06",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "Hello."},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
            }
        )


@asynccontextmanager
async def stub_backend() -> AsyncIterator[StubBackend]:
    stub = StubBackend()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", stub.chat)
    async with served(app) as url:
        stub.url = url
        yield stub


def stub_config(stub_url: str, **sections: Any) -> GatewayConfig:
    """One OpenAI-style backend (the stub) for the model, authentication and ledger off."""
    return GatewayConfig.model_validate(
        {
            "auth": {"enabled": False},
            "ledger": {"enabled": False},
            "backends": [{"name": "stub", "url": f"{stub_url}/v1", "api": "openai"}],
            "pools": {MODEL: {"members": [{"backend": "stub"}]}},
            "models": {MODEL: {"pool": MODEL}},
            **sections,
        }
    )


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})
