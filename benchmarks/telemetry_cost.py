#!/usr/bin/env python3
"""What telemetry costs per request, in process: the CPU the gateway spends on a finished
request's metrics and log line, and on its trace, measured apart from everything else.

    .venv/bin/python -m benchmarks.telemetry_cost [--runs 20000] [--out PATH]

Cases, each on one thread after a warm-up, p50 and p99 of `time.perf_counter_ns` per request:
- `metrics`: the in-flight gauge up and down and `GatewayMetrics.request_finished` for a served,
  priced, non-streamed request (duration, overhead, tokens, cost);
- `request log`: building the JSON line and writing it through the `sluicegate.requests` logger
  to a real file, as `sluicegate serve` does to its standard error;
- `trace spans`: the request's server span and one attempt span (start, traceparent injected
  into the upstream headers, reply read, end), handed to a span processor that only keeps them;
- `trace export`: encoding those two spans as OTLP protobuf, which the batching exporter does in
  its own thread (so it costs the same core, off the request's own latency);
Together with `benchmarks/overhead.py` (the running gateway at 500 req/s, with and without
`--no-telemetry` and `--tracing`), this tells how much of a difference is the telemetry itself.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import orjson
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from sluicegate.core.clock import SystemClock
from sluicegate.core.exchange import Exchange, Usage
from sluicegate.core.identity import Principal, Role
from sluicegate.core.reply import Reply
from sluicegate.telemetry.attempt_span import AttemptTarget
from sluicegate.telemetry.metrics import GatewayMetrics
from sluicegate.telemetry.request_log import REQUEST_LOGGER, RequestLog, RequestOutcome
from sluicegate.telemetry.tracing import RequestTrace
from sluicegate.wire.endpoints import Endpoint

OUT = "/tmp/sluicegate-telemetry-cost.json"
WARMUP = 2_000
BODY = {"model": "gpt-4o-mini", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}
REPLY = orjson.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Hello there."},
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 16, "total_tokens": 25},
    }
)


class _Kept(SpanExporter):
    """Keeps finished spans (the last few) so the export case encodes real ones."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        del self.spans[:-512]
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def served_exchange(clock: SystemClock) -> Exchange:
    """A request as it stands at its end: authenticated, served, priced."""
    return Exchange(
        request_id="0123456789abcdef0000000000000001",
        endpoint=Endpoint.CHAT,
        raw=orjson.dumps(BODY),
        body=dict(BODY),
        model="gpt-4o-mini",
        stream=False,
        include_usage=False,
        client_headers={"content-type": "application/json"},
        started_at=clock.now(),
        deadline=clock.now() + 600,
        served_by="simulator",
        usage=Usage(9, 16, 25),
        principal=Principal("key-1a2b3c", "default", Role.APP),
        route="gpt-4o-mini",
        upstream_seconds=0.0008,
        status=200,
        cost=0.0000113,
    )


def finished(hook: Coroutine[Any, Any, None]) -> None:
    """Run a finish hook that never waits (the trace's) without an event loop."""
    try:
        hook.send(None)
    except StopIteration:
        return
    raise RuntimeError("the finish hook waited")


def sample(action: Callable[[], object], runs: int) -> dict[str, float]:
    for _ in range(WARMUP):
        action()
    times = []
    for _ in range(runs):
        began = time.perf_counter_ns()
        action()
        times.append(time.perf_counter_ns() - began)
    times.sort()
    return {
        "p50_us": round(statistics.median(times) / 1000, 1),
        "p99_us": round(times[int(len(times) * 0.99)] / 1000, 1),
    }


def cases(log_file: Path) -> dict[str, Callable[[], object]]:
    clock = SystemClock()
    exchange = served_exchange(clock)
    metrics = GatewayMetrics()
    metrics.prime(backends=["simulator"])

    def record_metrics() -> None:
        metrics.request_started()
        metrics.request_finished(exchange, "chat", 200, 0.0021, None)

    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(REQUEST_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    request_log = RequestLog(deployments={"simulator": "gpt-4o-mini"})

    def write_line() -> None:
        outcome = RequestOutcome(
            request_id=exchange.request_id,
            method="POST",
            path="/v1/chat/completions",
            operation="chat",
            status=200,
            seconds=0.0021,
            wall=time.time(),
            error=None,
        )
        request_log.write(outcome, exchange)

    kept = _Kept()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("sluicegate")
    target = AttemptTarget("simulator", "openai", "127.0.0.1", 8000, None)

    def trace_request() -> None:
        traced = served_exchange(clock)
        trace = RequestTrace(tracer, clock, traced, {"simulator": "openai"})
        traced.trace = trace
        attempt = trace.attempt(target)
        attempt.inject({})
        reply = Reply(status=200, headers={}, body=REPLY)
        attempt.replied(reply)
        trace.replied(reply)
        finished(trace.request_finished(traced))

    for _ in range(64):
        trace_request()
    two = kept.spans[-2:]

    def export_spans() -> None:
        encode_spans(two).SerializeToString()

    return {
        "metrics": record_metrics,
        "request log": write_line,
        "trace spans": trace_request,
        "trace export": export_spans,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=Path(OUT))
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, action in cases(Path(scratch) / "requests.log").items():
            results[name] = sample(action, args.runs)
    lines = ["| per request | p50 (µs) | p99 (µs) |", "| --- | ---: | ---: |"]
    lines += [f"| {name} | {r['p50_us']} | {r['p99_us']} |" for name, r in results.items()]
    table = "\n".join(lines)
    print(table)
    args.out.write_text(
        json.dumps(
            {"python": platform.python_version(), "runs": args.runs, "results": results},
            indent=2,
        )
    )
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
