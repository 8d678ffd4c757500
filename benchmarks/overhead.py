#!/usr/bin/env python3
"""What the gateway adds: the gateway in front of the zero-latency simulator versus the simulator
directly, on this machine, in one run.

Layout: the gateway (one process, authentication on, a quota on every call) pinned to CPU 0; the
simulator and the load generator pinned to CPU 1. With `--redis-url` the quota counters live in
that Redis (as replicas share them) instead of in the gateway process; Redis then runs wherever
it runs, so pin it to CPU 1 as well (`taskset -cp 1 $(pidof redis-server)`) for a fair layout.
Phases, each after a warm-up:
- open loop at 100, 500 and 1000 req/s, direct and through the gateway: added latency p50/p99
  (latency counted from each request's scheduled send time);
- closed loop at c=64, non-streaming and streaming, through the gateway: the most one gateway
  process on one core serves (and direct, for reference).

    .venv/bin/python -m benchmarks.overhead [--duration 10] [--out results.json]
        [--rates 100,500,1000] [--core-only | --redis-url redis://127.0.0.1:6379/0]
        [--no-safety] [--no-telemetry] [--tracing]

Results print as a Markdown table and are written as JSON (default
`/tmp/sluicegate-overhead.json`); docs/performance.md records them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from redis import Redis
from redis.exceptions import RedisError

from benchmarks.loadgen import LoadResult, LoadSpec, run
from benchmarks.stacks.machine import process_cpu_seconds, tree_pids, wait_quiet

GATEWAY_CPU = 0
LOAD_CPU = 1
MODEL = "gpt-4o-mini"
BODY = orjson.dumps(
    {"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": "Say hello."}]}
)
STREAM_BODY = orjson.dumps({**orjson.loads(BODY), "stream": True})
RATES = (100, 500, 1000)


@dataclass(frozen=True)
class Phase:
    name: str
    target: str  # "direct" or "gateway"
    rate: float | None
    stream: bool
    concurrency: int = 64


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(_host_port(url), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {url} after {timeout:g} s")


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split("/")[0].rsplit(":", 1)
    return host, int(port)


@contextmanager
def process(
    command: list[str], cpu: int, *, capture: bool = False, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` pinned to `cpu`; its standard error (the request log) goes to `log`, a
    real file as a log shipper would tail, else nowhere."""
    errors = log.open("wb") if log is not None else None
    child = subprocess.Popen(
        ["taskset", "-c", str(cpu), *command],
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=errors if errors is not None else subprocess.DEVNULL,
    )
    try:
        yield child
    finally:
        if errors is not None:
            errors.close()
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@dataclass(frozen=True)
class RedisCounters:
    """Where the gateway keeps its quota counters when they are shared: a Redis and a key prefix
    of this run's own."""

    url: str
    prefix: str

    @classmethod
    def fresh(cls, url: str) -> RedisCounters:
        return cls(url, f"sluicegate-bench-{uuid.uuid4().hex[:12]}")

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_timeout=5.0, socket_connect_timeout=2.0)

    def check(self) -> None:
        """Fail early and clearly when nothing answers at the URL."""
        client = self.client()
        try:
            client.ping()
        except (RedisError, OSError) as error:
            host = self.url.rsplit("@", 1)[-1]
            raise SystemExit(f"no Redis answers at {host}: {error}") from None
        finally:
            client.close()

    def keys(self) -> list[bytes]:
        client = self.client()
        try:
            return list(client.scan_iter(match=f"{{{self.prefix}}}*", count=500))
        finally:
            client.close()

    def drop(self) -> None:
        client = self.client()
        try:
            found = list(client.scan_iter(match=f"{{{self.prefix}}}*", count=500))
            if found:
                client.delete(*found)
        finally:
            client.close()


def gateway_file(
    directory: Path,
    port: int,
    upstream: str,
    *,
    core_only: bool,
    safety: bool = True,
    telemetry: bool = True,
    traces_to: str | None = None,
    redis: RedisCounters | None = None,
) -> Path:
    """By default authentication is on (a cached key lookup per request), a quota applies to
    every call (a reservation and its reconciliation) and the default safety profile checks
    prompts and replies, so the whole policy chain is measured; `core_only` turns all three off
    to measure the proxy alone, `safety=False` only the safety checks; `redis` keeps the
    counters there. `telemetry=False` turns the request log and the metrics off; `traces_to`
    turns tracing on, exporting over OTLP/HTTP to that URL."""
    unlimited = {"tpm": 10**12, "rpm": 10**12}
    quotas: dict[str, Any] = {"models": {} if core_only else {"*": unlimited}}
    if redis is not None:
        quotas.update(redis_url=redis.url, redis_key_prefix=redis.prefix)
    settings: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": port},
        "backends": [{"name": "simulator", "url": upstream}],
        "pools": {"simulator": {"members": [{"backend": "simulator"}]}},
        "models": {"*": {"pool": "simulator"}},
        "quotas": quotas,
        "auth": {"enabled": not core_only},
        "database_url": f"sqlite+aiosqlite:///{directory / 'gateway.db'}",
    }
    if core_only or not safety:
        settings["safety"] = {"default_profile": "off"}
    if not telemetry:
        settings["request_log"] = {"enabled": False}
        settings["metrics"] = {"enabled": False}
    if traces_to is not None:
        settings["tracing"] = {"enabled": True, "exporter": "otlp", "endpoint": traces_to}
    path = directory / "gateway.yaml"
    path.write_text(json.dumps(settings))
    return path


def app_key(gateway: subprocess.Popen[bytes], timeout: float = 30.0) -> str:
    """The app key the gateway shows on its first start ("none" when authentication is off)."""
    assert gateway.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = gateway.stdout.readline().decode()
        if "app key:" in line:
            return line.split("app key:", 1)[1].strip()
        if "Authentication is OFF" in line:
            return "none"
        if not line:
            break
    raise RuntimeError("the gateway did not show its first app key")


def simulator_file(directory: Path, port: int) -> Path:
    path = directory / "sim.yaml"
    path.write_text(
        json.dumps(
            {
                "host": "127.0.0.1",
                "port": port,
                "seed": 1,
                "deployments": [
                    {"name": MODEL, "kind": "paygo", "completion": {"mean_tokens": 16}}
                ],
            }
        )
    )
    return path


async def _check(url: str, key: str) -> None:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/v1/chat/completions", data=BODY, headers=headers) as response,
    ):
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}: {await response.text()}")


def measure(
    phase: Phase, url: str, duration: float, gateway_pid: int, key: str
) -> tuple[LoadResult, float]:
    """One phase; also the share of its core the gateway used meanwhile (1.0 = saturated)."""
    quiet = wait_quiet([GATEWAY_CPU, LOAD_CPU], min_idle=85.0, max_wait_s=15.0)
    spec = LoadSpec(
        url=f"{url}/v1/chat/completions",
        body=STREAM_BODY if phase.stream else BODY,
        headers=(("Content-Type", "application/json"), ("Authorization", f"Bearer {key}")),
        stream=phase.stream,
        rate=phase.rate,
        concurrency=phase.concurrency,
        duration_s=duration,
        warmup_s=1.0,
    )
    cpu_before, began = process_cpu_seconds(tree_pids(gateway_pid)), time.monotonic()
    result = run(spec)
    busy = (process_cpu_seconds(tree_pids(gateway_pid)) - cpu_before) / (time.monotonic() - began)
    latency = result.latency
    shown = f"p50 {latency.p50:.2f} ms p99 {latency.p99:.2f} ms" if latency else "no samples"
    print(
        f"  {phase.name:<26} {result.rps:>8,.0f} req/s  {shown}"
        f"  errors {sum(result.errors.values())}  gateway cpu {busy:.0%}  (idle before: {quiet})",
        flush=True,
    )
    return result, busy


def cpu_per_request(busy: float, rps: float) -> float:
    """Microseconds of the gateway's CPU per request served: what its work costs whatever
    else the machine is doing, where latency also counts waits for a busy core."""
    return busy / rps * 1e6 if rps > 0 else 0.0


def phases(rates: tuple[int, ...]) -> list[Phase]:
    planned = []
    for rate in rates:
        planned.append(Phase(f"direct open {rate}/s", "direct", rate, False))
        planned.append(Phase(f"gateway open {rate}/s", "gateway", rate, False))
    for stream in (False, True):
        kind = "stream" if stream else "plain"
        planned.append(Phase(f"direct closed c64 {kind}", "direct", None, stream))
        planned.append(Phase(f"gateway closed c64 {kind}", "gateway", None, stream))
    return planned


def table(
    results: dict[str, LoadResult], gateway_cpu: dict[str, float], rates: tuple[int, ...]
) -> str:
    lines = [
        "| rate | direct p50 / p99 (ms) | gateway p50 / p99 (ms) | added p50 / p99 (ms) "
        "| gateway CPU per request (µs) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rate in rates:
        name = f"gateway open {rate}/s"
        direct = results[f"direct open {rate}/s"].latency
        gateway = results[name].latency
        if direct is None or gateway is None:
            continue
        lines.append(
            f"| {rate} req/s | {direct.p50:.2f} / {direct.p99:.2f} | "
            f"{gateway.p50:.2f} / {gateway.p99:.2f} | "
            f"{gateway.p50 - direct.p50:+.2f} / {gateway.p99 - direct.p99:+.2f} | "
            f"{cpu_per_request(gateway_cpu[name], results[name].rps):,.0f} |"
        )
    lines += [
        "",
        "| closed loop c=64 | direct req/s | gateway req/s | gateway CPU (of its core) |",
        "| --- | --- | --- | --- |",
    ]
    for kind in ("plain", "stream"):
        name = f"gateway closed c64 {kind}"
        direct_rps = results[f"direct closed c64 {kind}"].rps
        lines.append(
            f"| {kind} | {direct_rps:,.0f} | {results[name].rps:,.0f} | {gateway_cpu[name]:.0%} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    model = "unknown"
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--out", type=Path, default=Path("/tmp/sluicegate-overhead.json"))
    parser.add_argument(
        "--core-only",
        action="store_true",
        help="authentication off and no quotas: the proxy alone",
    )
    parser.add_argument(
        "--no-safety",
        action="store_true",
        help="the whole chain but the safety checks (default_profile: off)",
    )
    parser.add_argument(
        "--no-telemetry",
        action="store_true",
        help="the request log and the metrics off (what they cost, against a default run)",
    )
    parser.add_argument(
        "--tracing",
        action="store_true",
        help="trace every request, exporting over OTLP/HTTP to a stand-in collector "
        "(benchmarks.otlp_sink) on the load generator's core",
    )
    parser.add_argument(
        "--redis-url",
        help="keep the quota counters in this Redis (e.g. redis://127.0.0.1:6379/0), as "
        "replicas share them, instead of in the gateway process",
    )
    parser.add_argument(
        "--rates",
        type=_rates,
        default=RATES,
        help="open-loop rates in req/s, comma-separated (default: 100,500,1000)",
    )
    args = parser.parse_args(argv)
    if args.core_only and args.redis_url:
        parser.error("--core-only has no quotas, so --redis-url would measure nothing")
    redis = RedisCounters.fresh(args.redis_url) if args.redis_url else None
    if redis is not None:
        redis.check()
    if (os.cpu_count() or 1) < 2:
        print("this benchmark needs two CPUs (gateway on one, load and backend on the other)")
        return 2
    os.sched_setaffinity(0, {LOAD_CPU})
    executable = [sys.executable, "-m", "sluicegate"]
    results: dict[str, LoadResult] = {}
    gateway_cpu: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        sim_port, gateway_port = free_port(), free_port()
        sim_url = f"http://127.0.0.1:{sim_port}"
        gateway_url = f"http://127.0.0.1:{gateway_port}"
        sim_config = simulator_file(Path(scratch), sim_port)
        sink_port = free_port()
        sink_url = f"http://127.0.0.1:{sink_port}"
        sink_command = [sys.executable, "-m", "benchmarks.otlp_sink", "--port", str(sink_port)]
        with (
            process(
                [*executable, "simulate", "--config", str(sim_config), "--log-level", "warning"],
                LOAD_CPU,
            ),
            process(sink_command, LOAD_CPU) if args.tracing else nullcontext(),
            process(
                [
                    *executable,
                    "serve",
                    "--config",
                    str(
                        gateway_file(
                            Path(scratch),
                            gateway_port,
                            f"{sim_url}/v1",
                            core_only=args.core_only,
                            safety=not args.no_safety,
                            telemetry=not args.no_telemetry,
                            traces_to=f"{sink_url}/v1/traces" if args.tracing else None,
                            redis=redis,
                        )
                    ),
                    "--log-level",
                    "warning",
                ],
                GATEWAY_CPU,
                capture=True,
                log=Path(scratch) / "gateway.log",
            ) as gateway,
        ):
            wait_ready(sim_url)
            wait_ready(gateway_url)
            key = app_key(gateway)
            asyncio.run(_check(gateway_url, key))
            if redis is not None:
                # The check's charge is there: the chain really counts in Redis.
                if not redis.keys():
                    raise RuntimeError(f"no quota counters under {{{redis.prefix}}} in Redis")
                print(f"quota counters in Redis under the key prefix {{{redis.prefix}}}")
            print(f"machine: {machine()}")
            try:
                for phase in phases(args.rates):
                    url = gateway_url if phase.target == "gateway" else sim_url
                    results[phase.name], gateway_cpu[phase.name] = measure(
                        phase, url, args.duration, gateway.pid, key
                    )
            finally:
                if redis is not None:
                    redis.drop()
            exported = _exported_traces(sink_url) if args.tracing else None
    report = table(results, gateway_cpu, args.rates)
    print()
    print(report)
    args.out.write_text(
        json.dumps(
            {
                "machine": machine(),
                "duration_s": args.duration,
                "core_only": args.core_only,
                "safety": not (args.core_only or args.no_safety),
                "telemetry": not args.no_telemetry,
                "tracing": exported,
                "quota_counters": "redis" if redis is not None else "process",
                "results": {name: result.to_dict() for name, result in results.items()},
                "gateway_cpu": gateway_cpu,
                "table": report,
            },
            indent=2,
        )
    )
    if exported is not None:
        print(f"\ntraces exported to the collector: {exported}")
    print(f"\nwritten to {args.out}")
    return 0


def _exported_traces(sink_url: str) -> dict[str, int]:
    """What the stand-in collector received, after the gateway's batches had time to leave."""
    wait_ready(sink_url)
    time.sleep(6.0)  # the batch processor exports every 5 s by default
    with urllib.request.urlopen(f"{sink_url}/stats", timeout=5) as response:
        counts: dict[str, int] = json.loads(response.read())
    if not counts["exports"]:
        raise RuntimeError("tracing was on but the collector received no spans")
    return counts


def _rates(text: str) -> tuple[int, ...]:
    try:
        rates = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: use whole req/s, e.g. 500 or 100,500"
        ) from None
    if not rates or min(rates) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: rates must be positive")
    return rates


if __name__ == "__main__":
    sys.exit(main())
