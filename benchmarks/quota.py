#!/usr/bin/env python3
"""Per-operation latency of the quota stores: in-process memory and Redis.

Each operation runs sequentially (one caller, as the quota policy does per request) against
three limits (key, team, model) so the numbers include the multi-limit atomic check:

    .venv/bin/python -m benchmarks.quota [--ops 5000] [--redis redis://127.0.0.1:6379/0]

Prints p50 / p99 / mean in microseconds per operation. The Redis phase is skipped with a note
when no server answers; its keys live under a unique prefix and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable
from typing import TypeVar

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from sluicegate.core.quota import Admission, QuotaLimit, QuotaStore, Scope
from sluicegate.stores.quota_memory import MemoryQuotaStore
from sluicegate.stores.quota_redis import RedisQuotaStore

T = TypeVar("T")

LIMITS = (
    QuotaLimit(Scope.KEY, "bench-key", tpm=10**12, rpm=10**9),
    QuotaLimit(Scope.TEAM, "bench-team", tpm=10**12),
    QuotaLimit(Scope.MODEL, "gpt-4o", rpm=10**9),
)


async def _timed(samples: list[float], call: Awaitable[T]) -> T:
    """Time one awaited call (the coroutine object is made just before, outside the timing)."""
    started = time.perf_counter_ns()
    result = await call
    samples.append((time.perf_counter_ns() - started) / 1000)
    return result


async def measure(store: QuotaStore, ops: int) -> dict[str, list[float]]:
    """Latency samples (µs) of each operation, over `ops` simulated requests."""
    names = ("reserve", "reconcile", "cancel", "acquire", "release", "denied reserve")
    samples: dict[str, list[float]] = {name: [] for name in names}
    tight = (QuotaLimit(Scope.KEY, "bench-full", tpm=100),)
    await store.reserve(tight, 100)
    for index in range(ops):
        admission = await _timed(samples["reserve"], store.reserve(LIMITS, 1200))
        assert isinstance(admission, Admission)
        reservation = admission.reservation
        if index % 10 == 0:
            await _timed(samples["cancel"], store.cancel(reservation))
        else:
            await _timed(samples["reconcile"], store.reconcile(reservation, 800))
        slot = await _timed(samples["acquire"], store.acquire("bench-key", 10**6))
        assert slot is not None
        await _timed(samples["release"], store.release(slot))
        await _timed(samples["denied reserve"], store.reserve(tight, 10))
    return samples


def report(title: str, samples: dict[str, list[float]]) -> None:
    print(f"\n{title}")
    print(f"{'operation':<16}{'p50 µs':>10}{'p99 µs':>10}{'mean µs':>10}{'n':>8}")
    for name, values in samples.items():
        ordered = sorted(values)
        p50 = ordered[len(ordered) // 2]
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(
            f"{name:<16}{p50:>10.1f}{p99:>10.1f}{statistics.fmean(values):>10.1f}{len(values):>8}"
        )


async def _redis_available(url: str) -> bool:
    client = Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
    try:
        await client.ping()
    except (RedisConnectionError, OSError):
        return False
    finally:
        await client.aclose()
    return True


async def main(ops: int, redis_url: str) -> None:
    memory = MemoryQuotaStore()
    await measure(memory, min(ops, 500))  # warm-up
    report(f"memory store ({ops} requests, 3 limits)", await measure(memory, ops))
    if not await _redis_available(redis_url):
        print(f"\nRedis store: skipped, no server answers at {redis_url.split('@')[-1]}")
        return
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    store = RedisQuotaStore.from_url(redis_url, prefix=prefix, timeout_s=1.0)
    try:
        await measure(store, min(ops, 500))
        report(f"Redis store ({ops} requests, 3 limits)", await measure(store, ops))
    finally:
        await store.close()
        client = Redis.from_url(redis_url)
        keys = [key async for key in client.scan_iter(match=f"{{{prefix}}}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--ops", type=int, default=5000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.ops, arguments.redis))
