"""The usage policy: which requests get a record, and what the record says."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from tests.exchanges import make_exchange as shared_exchange

from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import AttemptSummary, RateLimited
from sluicegate.core.exchange import Exchange, Usage
from sluicegate.core.identity import Principal, Role
from sluicegate.core.ledger import UsageRecord
from sluicegate.core.reply import Reply
from sluicegate.policies.usage import CLIENT_CLOSED, UsagePolicy


class Sink:
    def __init__(self) -> None:
        self.records: list[UsageRecord] = []

    async def record(self, record: UsageRecord) -> None:
        self.records.append(record)


def exchange(clock: ManualClock, route: str = "gpt-4o") -> Exchange:
    return shared_exchange(
        body={},
        started_at=clock.now(),
        timeout=60,
        stream=True,
        route=route,
        principal=Principal("key-a", "search", Role.APP),
    )


def policy(sink: Sink, clock: ManualClock, cost: float = 0.0) -> UsagePolicy:
    return UsagePolicy(
        sink, clock, deployments={"ptu-east": "gpt-4o-2024-08"}, cost=lambda exchange: cost
    )


async def test_a_served_streamed_request_is_recorded_with_its_usage_and_timings() -> None:
    clock, sink = ManualClock(), Sink()
    ex = exchange(clock)

    async def served(ex: Exchange) -> Reply:
        ex.attempts.append(AttemptSummary("paygo", 429, None, 3.0))
        ex.served_by = "ptu-east"
        clock.advance(0.25)
        ex.first_byte_at = clock.now()
        clock.advance(0.75)
        ex.usage = Usage(prompt_tokens=12, completion_tokens=30, total_tokens=42)
        ex.status = 200
        return Reply(200)

    started_wall = clock.wall()
    await policy(sink, clock, cost=0.0125)(ex, served)
    assert sink.records == []  # written when the request finishes, not before
    await ex.finish()
    (record,) = sink.records
    assert record.latency_ms == pytest.approx(1000.0)
    assert record.ttft_ms == pytest.approx(250.0)
    assert replace(record, latency_ms=1000.0, ttft_ms=250.0) == UsageRecord(
        request_id="req-1",
        at=datetime.fromtimestamp(started_wall, UTC),
        subject="key-a",
        team="search",
        model="gpt-4o",
        backend="ptu-east",
        status=200,
        deployment="gpt-4o-2024-08",
        attempts=2,
        prompt_tokens=12,
        completion_tokens=30,
        cost=0.0125,
        latency_ms=1000.0,
        ttft_ms=250.0,
        stream=True,
    )


async def test_a_routing_429_is_recorded_with_no_backend() -> None:
    clock, sink = ManualClock(), Sink()
    ex = exchange(clock)

    async def cooling(ex: Exchange) -> Reply:
        raise RateLimited("every backend is cooling down", retry_after_s=3.0)

    with pytest.raises(RateLimited):
        await policy(sink, clock)(ex, cooling)
    ex.status = 429  # what the server sets before the hooks run
    await ex.finish()
    (record,) = sink.records
    assert (record.status, record.backend, record.attempts, record.deployment) == (
        429,
        None,
        0,
        None,
    )
    assert record.ttft_ms is None
    assert record.total_tokens == 0


async def test_a_client_that_left_before_a_status_is_recorded_as_499() -> None:
    clock, sink = ManualClock(), Sink()
    ex = exchange(clock)

    async def answer(ex: Exchange) -> Reply:
        return Reply(200)

    await policy(sink, clock)(ex, answer)
    await ex.finish()
    assert sink.records[0].status == CLIENT_CLOSED


async def test_an_unknown_model_is_not_an_accepted_request() -> None:
    clock, sink = ManualClock(), Sink()
    ex = exchange(clock, route="")

    async def not_found(ex: Exchange) -> Reply:
        return Reply(404)

    await policy(sink, clock)(ex, not_found)
    await ex.finish()
    assert sink.records == []


async def test_a_failing_record_builder_does_not_stop_earlier_hooks() -> None:
    clock, sink = ManualClock(), Sink()
    ex = exchange(clock)
    settled: list[str] = []

    async def settle(ex: Exchange) -> None:
        settled.append(ex.request_id)

    ex.on_finish(settle)  # registered first (quota), so it runs after the usage hook

    def broken(exchange: Exchange) -> float:
        raise KeyError("no price")

    usage_policy = UsagePolicy(sink, clock, cost=broken)

    async def answer(ex: Exchange) -> Reply:
        return Reply(200)

    await usage_policy(ex, answer)
    await ex.finish()
    assert sink.records == []
    assert settled == ["req-1"]
