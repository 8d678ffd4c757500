"""A rendered prompt's version and label in the request log line and the request's span."""

from __future__ import annotations

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tests.exchanges import make_exchange

from sluicegate.core.clock import ManualClock
from sluicegate.core.exchange import Exchange
from sluicegate.core.reply import Reply
from sluicegate.telemetry.request_log import RequestLog, RequestOutcome
from sluicegate.telemetry.tracing import GatewayTracing


def outcome() -> RequestOutcome:
    return RequestOutcome(
        request_id="req-1",
        method="POST",
        path="/v1/chat/completions",
        operation="chat",
        status=200,
        seconds=0.1,
        wall=1e9,
        error=None,
    )


def test_the_log_line_names_the_version_and_the_label() -> None:
    log = RequestLog()
    rendered = make_exchange(prompt_version="support@v3", prompt_label="production")
    line = log.line(outcome(), rendered)
    assert (line["prompt_version"], line["prompt_label"]) == ("support@v3", "production")
    assert log.line(outcome(), make_exchange())["prompt_label"] is None
    assert log.line(outcome(), None)["prompt_label"] is None  # same keys on every line


async def test_the_span_names_the_version_and_the_label() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({}), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = GatewayTracing(provider.get_tracer("test"), ManualClock(), {})

    async def answer(exchange: Exchange) -> Reply:
        return Reply(200, {}, body=b"{}")

    for label in ("canary", None):
        exchange = make_exchange(prompt_version="support@v4", prompt_label=label)
        await tracing(exchange, answer)
        exchange.status = 200
        await exchange.finish()
    spans = exporter.get_finished_spans()
    assert [dict(span.attributes or {}).get("sluicegate.prompt_label") for span in spans] == [
        "canary",
        None,
    ]
    assert {dict(span.attributes or {})["sluicegate.prompt_version"] for span in spans} == {
        "support@v4"
    }
