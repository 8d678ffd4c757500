"""Traces of real requests: the official openai SDK, the gateway and the simulator on real
sockets, spans caught by an in-memory exporter on the gateway's tracer provider."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest
from openai import AsyncOpenAI
from opentelemetry.trace import SpanKind, StatusCode
from tests.e2e.support import gateway_config, sim_deployment
from tests.e2e.tracing_support import (
    MESSAGES,
    MODEL,
    SpanSink,
    attributes,
    running_gateway,
    simulator,
    sink_provider,
)
from yarl import URL

from sluicegate.config.telemetry import TracingSettings
from sluicegate.telemetry.request_log import REQUEST_LOGGER

pytestmark = pytest.mark.e2e


@asynccontextmanager
async def traced_gateway(
    deployments: list[dict[str, Any]] | None = None, *, priorities: dict[str, int] | None = None
) -> AsyncIterator[tuple[AsyncOpenAI, SpanSink, str]]:
    """A simulator (one deployment `only` unless told) and a gateway in front that traces into
    an in-memory sink: (an SDK client of the gateway, the sink, the simulator's URL)."""
    deployments = deployments or [sim_deployment("only")]
    provider, sink = sink_provider()
    async with simulator(deployments) as sim_url:
        config = gateway_config(sim_url, deployments, priorities=priorities)
        config = config.model_copy(update={"tracing": TracingSettings(enabled=True)})
        async with (
            running_gateway(config, tracer_provider=provider) as gateway,
            gateway.client() as client,
        ):
            yield client, sink, sim_url


async def test_a_chat_is_one_server_span_with_one_attempt() -> None:
    async with traced_gateway() as (client, sink, sim_url):
        raw = await client.chat.completions.with_raw_response.create(
            model=MODEL, messages=MESSAGES, max_tokens=12, temperature=0.5
        )
        completion = raw.parse()
        [root] = await sink.requests(1)

    assert completion.usage is not None
    assert root.name == f"chat {MODEL}"
    assert root.kind is SpanKind.SERVER
    assert root.parent is None  # no traceparent from the client: a new trace
    assert root.status.status_code is StatusCode.UNSET
    values = attributes(root)
    assert values["gen_ai.operation.name"] == "chat"
    assert values["gen_ai.provider.name"] == "azure.ai.openai"
    assert values["gen_ai.request.model"] == MODEL
    assert values["gen_ai.request.max_tokens"] == 12
    assert values["gen_ai.request.temperature"] == 0.5
    assert values["gen_ai.request.stream"] is False
    assert values["gen_ai.response.model"] == completion.model
    assert values["gen_ai.response.id"] == completion.id
    assert values["gen_ai.response.finish_reasons"] == (completion.choices[0].finish_reason,)
    assert values["gen_ai.usage.input_tokens"] == completion.usage.prompt_tokens
    assert values["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens
    assert values["http.response.status_code"] == 200
    assert values["sluicegate.request_id"] == raw.headers["x-request-id"]
    assert values["sluicegate.route"] == MODEL
    assert values["sluicegate.backend"] == "only"
    assert values["sluicegate.attempts"] == 1
    assert values["sluicegate.spilled_over"] is False
    assert "error.type" not in values

    [attempt] = sink.children_of(root)
    assert attempt.kind is SpanKind.CLIENT
    assert attempt.context.trace_id == root.context.trace_id
    assert attempt.name == "chat only"  # Azure: the deployment is the upstream model name
    tried = attributes(attempt)
    address = URL(sim_url)
    assert tried["server.address"] == address.host
    assert tried["server.port"] == address.port
    assert tried["sluicegate.backend"] == "only"
    assert tried["sluicegate.attempt"] == 1
    assert tried["http.response.status_code"] == 200
    assert "error.type" not in tried
    assert root.start_time is not None
    assert attempt.start_time is not None
    assert root.end_time is not None
    assert attempt.end_time is not None
    assert root.start_time <= attempt.start_time <= attempt.end_time <= root.end_time


async def test_a_stream_span_ends_after_its_last_chunk() -> None:
    slow = {"x-sim-completion-tokens": "20", "x-sim-tokens-per-second": "200"}
    async with traced_gateway() as (client, sink, _):
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=slow,
        )
        chunks = [chunk async for chunk in stream]
        [root] = await sink.requests(1)

    usage = chunks[-1].usage
    assert usage is not None
    finished = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    values = attributes(root)
    assert root.name == f"chat {MODEL}"
    assert values["gen_ai.request.stream"] is True
    assert values["gen_ai.usage.input_tokens"] == usage.prompt_tokens
    assert values["gen_ai.usage.output_tokens"] == usage.completion_tokens == 20
    assert values["gen_ai.response.finish_reasons"] == tuple(finished)
    assert values["gen_ai.response.id"] == chunks[0].id
    assert values["gen_ai.response.model"] == chunks[0].model
    assert values["gen_ai.response.time_to_first_chunk"] > 0
    assert values["http.response.status_code"] == 200

    [attempt] = sink.children_of(root)
    assert attributes(attempt)["http.response.status_code"] == 200
    assert root.end_time is not None
    assert attempt.end_time is not None
    assert root.start_time is not None
    assert attempt.start_time is not None
    # 20 tokens at 200 per second: the attempt lasts as long as its stream (about 0.1 s),
    # not just until the first chunk, and the request's span outlasts it.
    assert attempt.end_time - attempt.start_time >= 80_000_000
    assert attempt.end_time <= root.end_time


async def test_failover_after_a_500_is_two_attempts_with_their_statuses() -> None:
    deployments = [sim_deployment("broken", faults={"error_rate": 1.0}), sim_deployment("ok")]
    priorities = {"broken": 1, "ok": 2}
    async with traced_gateway(deployments, priorities=priorities) as (client, sink, _):
        await client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=4)
        [root] = await sink.requests(1)

    values = attributes(root)
    assert values["sluicegate.backend"] == "ok"
    assert values["sluicegate.attempts"] == 2
    assert values["sluicegate.spilled_over"] is True
    assert values["http.response.status_code"] == 200
    first, second = sorted(sink.children_of(root), key=lambda span: span.start_time or 0)
    failed, served = attributes(first), attributes(second)
    assert (failed["sluicegate.backend"], failed["sluicegate.attempt"]) == ("broken", 1)
    assert failed["http.response.status_code"] == 500
    assert failed["error.type"] == "500"
    assert first.status.status_code is StatusCode.ERROR
    assert (served["sluicegate.backend"], served["sluicegate.attempt"]) == ("ok", 2)
    assert served["http.response.status_code"] == 200
    assert second.status.status_code is StatusCode.UNSET
    assert first.end_time is not None
    assert second.start_time is not None
    assert first.end_time <= second.start_time


async def test_a_throttled_attempt_records_the_backends_retry_headers() -> None:
    # One request per minute: the first request fills it, the second meets a 429.
    deployments = [sim_deployment("limited", rpm=1), sim_deployment("spare")]
    priorities = {"limited": 1, "spare": 2}
    async with traced_gateway(deployments, priorities=priorities) as (client, sink, _):
        for _ in range(2):
            await client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=4)
        roots = await sink.requests(2)

    second = max(roots, key=lambda span: span.start_time or 0)
    assert attributes(second)["sluicegate.backend"] == "spare"
    throttled, served = sorted(sink.children_of(second), key=lambda span: span.start_time or 0)
    values: dict[str, Any] = attributes(throttled)
    assert values["sluicegate.backend"] == "limited"
    assert values["http.response.status_code"] == 429
    assert values["error.type"] == "429"
    [retry_ms] = values["http.response.header.retry-after-ms"]
    assert 0 < float(retry_ms) <= 60_000
    assert len(values["http.response.header.retry-after"]) == 1
    assert attributes(served)["http.response.status_code"] == 200


async def test_an_unknown_model_is_a_span_with_the_error_and_no_attempt() -> None:
    async with traced_gateway() as (client, sink, _):
        with pytest.raises(Exception, match="does not exist"):
            await client.chat.completions.create(model="no-such-model", messages=MESSAGES)
        [root] = await sink.requests(1)

    assert root.name == "chat no-such-model"
    values = attributes(root)
    assert values["http.response.status_code"] == 404
    assert values["error.type"] == "model_not_found"
    assert values["sluicegate.attempts"] == 0
    assert "sluicegate.route" not in values
    assert root.status.status_code is StatusCode.UNSET  # a client error, not the gateway's
    assert sink.children_of(root) == []


async def test_the_request_log_line_names_the_trace_and_span(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    async with traced_gateway() as (client, sink, _):
        raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
        [root] = await sink.requests(1)

    [line] = [
        orjson.loads(record.getMessage())
        for record in caplog.records
        if record.name == REQUEST_LOGGER
    ]
    assert line["request_id"] == raw.headers["x-request-id"]
    assert line["trace_id"] == f"{root.context.trace_id:032x}"
    assert line["span_id"] == f"{root.context.span_id:016x}"
