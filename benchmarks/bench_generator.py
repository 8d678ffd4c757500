#!/usr/bin/env python3
"""How fast can `sluicegate bench` generate load? Open loop against a zero-latency target.

The target is a minimal HTTP/1.1 server in a child process (its own core when there are two)
that answers every POST at once with a short chat-completion stream: role chunk, three content
deltas, a usage chunk and [DONE]. The generator (the real `sluicegate.bench` runner, prompts,
SSE reading and all) runs in this process, pinned to one core, at a constant rate. It keeps up
when the achieved rate matches the offered one and its send lag (actual send minus schedule)
stays small; CPU seconds per elapsed second show how much of its core it used.

    python -m benchmarks.bench_generator --rate 2000 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import sys
from typing import Any

STREAM = (
    b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"content":"one"}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"content":" two"}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"content":" three"}}]}\n\n'
    b'data: {"choices":[],"usage":{"prompt_tokens":500,"completion_tokens":3,'
    b'"total_tokens":503}}\n\n'
    b"data: [DONE]\n\n"
)
REPLY = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: "
    + str(len(STREAM)).encode()
    + b"\r\n\r\n"
    + STREAM
)


class _Instant(asyncio.Protocol):
    """Reads pipelined requests (headers + Content-Length body) and answers each at once."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # uvloop's transports are not asyncio.Transport instances

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].lower()
            length = 0
            marker = head.find(b"content-length:")
            if marker >= 0:
                line_end = head.find(b"\r\n", marker)
                length = int(head[marker + 15 : line_end if line_end >= 0 else len(head)])
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            self.buffer = self.buffer[end:]
            self.transport.write(REPLY)


def _serve(port: int, ready: Any, core: int | None) -> None:
    if core is not None:
        os.sched_setaffinity(0, {core})
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Instant, "127.0.0.1", port, backlog=4096)
        ready.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


async def _measure(url: str, rate: float, duration: float, warmup: float) -> dict[str, Any]:
    from sluicegate.bench.load import LoadPlan
    from sluicegate.bench.retry import RetryPolicy
    from sluicegate.bench.session import BenchSpec, run_once
    from sluicegate.bench.shapes import shape_for
    from sluicegate.bench.sources import ShapeSource
    from sluicegate.bench.target import build_target

    target = build_target(url, model="gpt-4o", environ={})
    plan = LoadPlan(mode="open", rate=rate, duration=duration, warmup=warmup, window=1.0)
    source = ShapeSource(shape_for("balanced", None, None), "gpt-4o", "gpt-4o", "gen", 0)
    result = await run_once(BenchSpec(target, plan, source, RetryPolicy(), {"shape": "balanced"}))
    summary = result.summary
    lag = summary["send_lag"]
    offered = rate * duration
    return {
        "offered_rate": rate,
        "offered_requests": offered,
        "completed": summary["completed"],
        "failed": summary["failed"],
        "errors": summary["errors"],
        "achieved_rate": summary["completed"] / summary["seconds"] if summary["seconds"] else 0,
        "send_lag_ms": {k: round(lag[k] * 1000, 3) for k in ("p50", "p90", "p99", "max")},
        "e2e_ms_p50_p99": [round(summary["e2e"][k] * 1000, 3) for k in ("p50", "p99")],
        "generator_cpu_per_second": round(
            result.meta["generator_cpu_seconds"] / summary["seconds"], 3
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=2000.0, help="offered req/s")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not counted")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to cores 0 and 1")
    args = parser.parse_args(argv)
    pin = not args.no_pin and len(os.sched_getaffinity(0)) >= 2
    receive, send = multiprocessing.Pipe(duplex=False)
    target = multiprocessing.Process(target=_serve, args=(0, send, 1 if pin else None), daemon=True)
    target.start()
    try:
        port = receive.recv()
        if pin:
            os.sched_setaffinity(0, {0})
        try:
            import uvloop

            factory = uvloop.new_event_loop
        except ImportError:
            factory = asyncio.new_event_loop
        with asyncio.Runner(loop_factory=factory) as runner:
            figures = runner.run(
                _measure(f"http://127.0.0.1:{port}", args.rate, args.duration, args.warmup)
            )
    finally:
        target.terminate()
        target.join(5)
    figures["machine"] = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "pinned": pin,
    }
    json.dump(figures, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
