#!/usr/bin/env python3
"""Open- and closed-loop HTTP load generator for OpenAI-style endpoints.

Open loop (fixed rate R): request i is due at ``t0 + i/R`` whatever happened to the earlier
ones, and its latency is measured from that *scheduled* time, so a server that stalls cannot
hide the queue it causes (coordinated omission). The generator's own lateness (``send_lag``:
actual send minus schedule) is reported, so a saturated generator is visible rather than
silently lowering the load. ``service`` latency (from the actual send) shows how much of the
latency was queueing.

Closed loop (N workers): each worker sends back-to-back; this measures maximum throughput.

Only loopback targets are accepted and every run is bounded in time. The module depends on
nothing but the standard library and aiohttp (uvloop when installed), so it can be copied or run
as a script: ``python benchmarks/loadgen.py URL --rate 500 --duration 10``.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import math
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

CHAT_BODY = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello."}]}'
CHAT_STREAM_BODY = (
    b'{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Say hello."}]}'
)
_DONE = b"data: [DONE]"
_CLOCK = time.perf_counter
_MIN_SLEEP_S = 0.001
"""Event-loop timers have millisecond resolution: a shorter sleep returns at once and the
scheduler would spin, burning the core it shares with what it measures. Waking at most once per
millisecond and sending everything due costs up to 1 ms of send lag, which is reported."""


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """What to send, how hard, and for how long."""

    url: str
    body: bytes = CHAT_BODY
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    stream: bool = False
    """Read the body chunk by chunk and record time to first body byte."""
    rate: float | None = None
    """Requests per second (open loop); None means closed loop."""
    concurrency: int = 32
    """Closed loop: workers. Open loop: most connections open at once."""
    duration_s: float = 10.0
    warmup_s: float = 1.0
    timeout_s: float = 30.0
    check: bool = True
    """Count a 200 whose body is not a chat completion (or a stream without [DONE]) as an error."""

    def __post_init__(self) -> None:
        _require_loopback(self.url)
        if self.rate is not None and not 0 < self.rate <= 200_000:
            raise ValueError(f"rate must be in (0, 200000] req/s, got {self.rate}")
        if not 1 <= self.concurrency <= 10_000:
            raise ValueError(f"concurrency must be in [1, 10000], got {self.concurrency}")
        if not 0 < self.duration_s <= 600:
            raise ValueError(f"duration_s must be in (0, 600], got {self.duration_s}")
        if not 0 <= self.warmup_s <= 60:
            raise ValueError(f"warmup_s must be in [0, 60], got {self.warmup_s}")

    @property
    def mode(self) -> str:
        return "closed" if self.rate is None else "open"


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Latency distribution in milliseconds (nearest-rank percentiles)."""

    count: int
    mean: float
    p50: float
    p90: float
    p99: float
    p999: float
    max: float

    @classmethod
    def of(cls, samples_s: Sequence[float]) -> Percentiles | None:
        if not samples_s:
            return None
        ordered = sorted(samples_s)
        return cls(
            count=len(ordered),
            mean=round(1000 * math.fsum(ordered) / len(ordered), 4),
            p50=_rank(ordered, 50.0),
            p90=_rank(ordered, 90.0),
            p99=_rank(ordered, 99.0),
            p999=_rank(ordered, 99.9),
            max=round(1000 * ordered[-1], 4),
        )


def _rank(ordered: Sequence[float], pct: float) -> float:
    index = max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))
    return round(1000 * ordered[index], 4)


@dataclass(frozen=True, slots=True)
class LoadResult:
    """One measurement; ``latency`` and ``ttfb`` count from the schedule in open loop."""

    mode: str
    url: str
    stream: bool
    rate: float | None
    concurrency: int
    duration_s: float
    elapsed_s: float
    sent: int
    count: int
    ok: int
    rps: float
    errors: dict[str, int]
    statuses: dict[str, int]
    latency: Percentiles | None
    service: Percentiles | None
    ttfb: Percentiles | None
    send_lag: Percentiles | None
    cpu_s: float
    """CPU seconds the generator itself used during the measurement."""
    loop: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def summary(self) -> str:
        """A few human lines."""
        lines = [
            f"{self.mode} loop {self.url} stream={self.stream} rate={self.rate} "
            f"c={self.concurrency} loop={self.loop}",
            f"  sent {self.sent}  done {self.count}  ok {self.ok}  {self.rps:,.0f} req/s  "
            f"cpu {self.cpu_s:.2f}s/{self.elapsed_s:.2f}s",
        ]
        for name in ("latency", "service", "ttfb", "send_lag"):
            dist: Percentiles | None = getattr(self, name)
            if dist is not None:
                lines.append(
                    f"  {name:9s} ms p50 {dist.p50:.3f}  p90 {dist.p90:.3f}  p99 {dist.p99:.3f}"
                    f"  p99.9 {dist.p999:.3f}  max {dist.max:.3f}"
                )
        if self.errors:
            lines.append(f"  errors {self.errors}")
        return "\n".join(lines)


def _require_loopback(url: str) -> None:
    """Load is only ever aimed at this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"url must be http(s)://host:port/path, got {url!r}")
    host = parts.hostname
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"only loopback targets are allowed, got host {host!r}")


@dataclass(slots=True)
class _Recorder:
    """Samples of one measurement window (seconds, from perf_counter)."""

    latency: list[float] = field(default_factory=list)
    service: list[float] = field(default_factory=list)
    ttfb: list[float] = field(default_factory=list)
    send_lag: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    ok: int = 0
    last_done: float = 0.0


class _Driver:
    """Holds the session and sends one request at a time into a recorder."""

    def __init__(self, spec: LoadSpec, session: aiohttp.ClientSession) -> None:
        self.spec = spec
        self.session = session
        self.headers = dict(spec.headers)

    async def one(self, rec: _Recorder, origin: float) -> None:
        """Send one request; latency counts from ``origin`` (its schedule or its send)."""
        start = _CLOCK()
        rec.sent += 1
        first = 0.0
        status = 0
        error = ""
        try:
            async with self.session.post(
                self.spec.url, data=self.spec.body, headers=self.headers
            ) as resp:
                status = resp.status
                if self.spec.stream:
                    tail = b""
                    async for chunk in resp.content.iter_any():
                        if not first:
                            first = _CLOCK()
                        tail = (tail + chunk)[-32:]
                    good = _DONE in tail
                else:
                    body = await resp.read()
                    good = b'"choices"' in body
                if self.spec.check and status == 200 and not good:
                    error = "bad_body"
        except TimeoutError:
            error = "timeout"
        except aiohttp.ClientError as exc:
            error = type(exc).__name__
        end = _CLOCK()
        rec.last_done = max(rec.last_done, end)
        if status:
            rec.statuses[str(status)] += 1
        if status != 200 and not error:
            error = f"status_{status}"
        if error:
            rec.errors[error] += 1
            return
        rec.ok += 1
        rec.latency.append(end - origin)
        rec.service.append(end - start)
        if first:
            rec.ttfb.append(first - origin)

    async def open_loop(self, rec: _Recorder, rate: float, duration_s: float) -> None:
        """Launch requests on a fixed schedule; each task records its own send lag."""
        total = max(1, int(rate * duration_s))
        interval = 1.0 / rate
        t0 = _CLOCK() + 0.005
        tasks: set[asyncio.Task[None]] = set()
        i = 0
        while i < total:
            now = _CLOCK()
            due = t0 + i * interval
            if due > now:
                await asyncio.sleep(max(due - now, _MIN_SLEEP_S))
                continue
            while i < total and t0 + i * interval <= now:
                task = asyncio.create_task(self._scheduled(rec, t0 + i * interval))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                i += 1
        await self._drain(rec, tasks)

    async def _scheduled(self, rec: _Recorder, due: float) -> None:
        rec.send_lag.append(max(0.0, _CLOCK() - due))
        await self.one(rec, due)

    async def closed_loop(self, rec: _Recorder, workers: int, duration_s: float) -> None:
        """N workers send back-to-back until the deadline; started requests finish."""
        deadline = _CLOCK() + duration_s

        async def worker() -> None:
            while _CLOCK() < deadline:
                await self.one(rec, _CLOCK())

        tasks = {asyncio.create_task(worker()) for _ in range(workers)}
        await self._drain(rec, tasks)

    async def _drain(self, rec: _Recorder, tasks: set[asyncio.Task[None]]) -> None:
        if not tasks:
            return
        _, pending = await asyncio.wait(set(tasks), timeout=self.spec.timeout_s + 5)
        for task in pending:
            task.cancel()
        if pending:
            rec.errors["unfinished"] += len(pending)
            await asyncio.wait(pending)


async def run_load(spec: LoadSpec) -> LoadResult:
    """Warm up (discarded), then measure once; use inside a running event loop."""
    connector = aiohttp.TCPConnector(limit=spec.concurrency, limit_per_host=0, ttl_dns_cache=None)
    timeout = aiohttp.ClientTimeout(total=spec.timeout_s)
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        auto_decompress=False,
        skip_auto_headers=("User-Agent",),
    ) as session:
        driver = _Driver(spec, session)
        if spec.warmup_s > 0:
            await _measure(driver, _Recorder(), spec.warmup_s)
        rec = _Recorder()
        cpu0 = _cpu_seconds()
        t0 = _CLOCK()
        await _measure(driver, rec, spec.duration_s)
        end = _CLOCK()
        cpu = _cpu_seconds() - cpu0
    elapsed = max(spec.duration_s, (rec.last_done or end) - t0)
    return LoadResult(
        mode=spec.mode,
        url=spec.url,
        stream=spec.stream,
        rate=spec.rate,
        concurrency=spec.concurrency,
        duration_s=spec.duration_s,
        elapsed_s=round(elapsed, 4),
        sent=rec.sent,
        count=rec.ok + sum(rec.errors.values()),
        ok=rec.ok,
        rps=round(rec.ok / elapsed, 1),
        errors=dict(rec.errors),
        statuses=dict(rec.statuses),
        latency=Percentiles.of(rec.latency),
        service=Percentiles.of(rec.service),
        ttfb=Percentiles.of(rec.ttfb),
        send_lag=Percentiles.of(rec.send_lag),
        cpu_s=round(cpu, 3),
        loop=type(asyncio.get_running_loop()).__module__.split(".")[0],
    )


async def _measure(driver: _Driver, rec: _Recorder, duration_s: float) -> None:
    spec = driver.spec
    if spec.rate is None:
        await driver.closed_loop(rec, spec.concurrency, duration_s)
    else:
        await driver.open_loop(rec, spec.rate, duration_s)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def loop_factory(use_uvloop: bool = True) -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's loop when installed and wanted, else the standard one."""
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
            return factory
    return asyncio.new_event_loop


def run(spec: LoadSpec, *, use_uvloop: bool = True) -> LoadResult:
    """Run one measurement in a fresh event loop (blocking)."""
    with asyncio.Runner(loop_factory=loop_factory(use_uvloop)) as runner:
        return runner.run(run_load(spec))


def _parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"header must be 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("url", help="loopback URL, e.g. http://127.0.0.1:8000/v1/chat/completions")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--rate", type=float, help="open loop: requests per second")
    mode.add_argument("--closed", action="store_true", help="closed loop (default without --rate)")
    parser.add_argument("-c", "--concurrency", type=int, default=32, help="workers / connections")
    parser.add_argument("-d", "--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds sent, then discarded")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout (s)")
    parser.add_argument("--stream", action="store_true", help="stream=true body, record TTFB")
    parser.add_argument("--body", help="file whose bytes are POSTed (default: a small chat body)")
    parser.add_argument("-H", "--header", action="append", type=_parse_header, default=[])
    parser.add_argument("--no-check", action="store_true", help="do not check reply bodies")
    parser.add_argument("--no-uvloop", action="store_true", help="use the standard event loop")
    parser.add_argument("--json", metavar="PATH", help="write the result as JSON ('-' = stdout)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    if args.body:
        with open(args.body, "rb") as fh:
            body = fh.read()
    else:
        body = CHAT_STREAM_BODY if args.stream else CHAT_BODY
    headers = (("Content-Type", "application/json"), *args.header)
    try:
        spec = LoadSpec(
            url=args.url,
            body=body,
            headers=headers,
            stream=args.stream,
            rate=args.rate,
            concurrency=args.concurrency,
            duration_s=args.duration,
            warmup_s=args.warmup,
            timeout_s=args.timeout,
            check=not args.no_check,
        )
    except ValueError as exc:
        print(f"loadgen: {exc}", file=sys.stderr)
        return 2
    result = run(spec, use_uvloop=not args.no_uvloop)
    if args.json == "-":
        print(result.summary(), file=sys.stderr)
        print(result.to_json())
    else:
        print(result.summary())
        if args.json:
            with open(args.json, "w", encoding="utf-8") as fh:
                fh.write(result.to_json() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
