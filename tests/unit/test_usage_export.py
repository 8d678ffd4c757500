"""The per-request usage export: the shape of a line, and that bench's trace reader and the
planner's usage-log reader take an export as it is."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.fakes.ledger import MemoryLedger
from tests.records import usage_record

from sluicegate.admin.usage_export import (
    FIELDS,
    encode_line,
    export_line,
    export_usage,
    parse_filter,
    parse_limit,
)
from sluicegate.bench.shapes import marker
from sluicegate.bench.sources import TraceSource
from sluicegate.bench.trace import TraceError, parse_trace
from sluicegate.core.capture import Capture
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.ledger import UsageRecord
from sluicegate.planner.errors import PlanInputError
from sluicegate.planner.usage_log import log_demands, read_usage_log
from sluicegate.server.admin.usage_records import UsageRecordLine
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.token_count import estimate_request_tokens

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)

FULL = usage_record(
    "req-1",
    T0 + timedelta(microseconds=250_000),
    subject="3f9a0c1d2e4b",
    team="search",
    model="gpt-4o",
    backend="ptu-east",
    status=200,
    deployment="gpt-4o-2024-08-06",
    attempts=2,
    prompt_tokens=1200,
    completion_tokens=300,
    cached_tokens=128,
    cost=0.0012345678,
    latency_ms=812.123456,
    ttft_ms=140.0004,
    prompt_version="summarise@3",
    billing="ptu",
    stream=True,
    capture=Capture(request='{"messages": "the secret prompt"}', response="the secret reply"),
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# A day of traffic as the ledger holds it: served requests, a routing 429, a backend failure and
# an embedding (which generates nothing).
DAY = [
    usage_record("a", at(0), prompt_tokens=500, completion_tokens=100, stream=True),
    usage_record("b", at(1.5), model="gpt-4o-mini", prompt_tokens=50, completion_tokens=20),
    usage_record("c", at(2), status=429, backend=None, prompt_tokens=0),
    usage_record("d", at(3), status=502, backend=None, prompt_tokens=0, completion_tokens=0),
    usage_record("e", at(4), model="embed", prompt_tokens=30, completion_tokens=0),
    usage_record("f", at(60), prompt_tokens=700, completion_tokens=7, stream=False),
]


def test_a_line_holds_what_was_charged_in_a_fixed_order() -> None:
    line = export_line(FULL)
    assert tuple(line) == FIELDS
    assert line == {
        "timestamp": "2026-11-03T09:00:00.250000Z",
        "request_id": "req-1",
        "model": "gpt-4o",
        "prompt_tokens": 1200,
        "completion_tokens": 300,
        "cached_tokens": 128,
        "backend": "ptu-east",
        "status": 200,
        "latency_ms": 812.123,
        "ttft_ms": 140.0,
        "stream": True,
        "team": "search",
        "subject": "3f9a0c1d2e4b",
        "prompt_version": "summarise@3",
        "cost_usd": 0.0012345678,
    }


def test_an_unserved_request_has_nulls_where_nothing_is_known() -> None:
    record = usage_record("x", T0, status=499, backend=None, ttft_ms=None, stream=None)
    line = export_line(record)
    assert (line["timestamp"], line["backend"], line["ttft_ms"], line["stream"]) == (
        "2026-11-03T09:00:00Z",
        None,
        None,
        None,
    )
    assert line["prompt_version"] is None


def test_a_line_is_one_line_of_json_without_captured_text() -> None:
    encoded = encode_line(FULL)
    assert encoded.endswith(b"\n")
    assert encoded.count(b"\n") == 1
    assert json.loads(encoded) == export_line(FULL)
    assert b"secret" not in encoded
    assert b"capture" not in encoded


def test_the_documented_line_schema_is_the_line() -> None:
    """The admin API documents a line with a model that refuses unknown fields."""
    for record in [FULL, *DAY]:
        assert UsageRecordLine.model_validate(export_line(record)).model_dump() == export_line(
            record
        )


async def test_export_writes_every_record_of_the_range_in_time_order() -> None:
    ledger = MemoryLedger()
    await ledger.write_batch(DAY[::-1])
    out = io.BytesIO()
    count = await export_usage(ledger, out, at(0), at(60))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(lines) == 5  # f, at the excluded end, is left out
    assert [line["request_id"] for line in lines] == ["a", "b", "c", "d", "e"]
    out = io.BytesIO()
    assert await export_usage(ledger, out, at(0), at(61), model="gpt-4o", limit=2) == 2
    assert [json.loads(line)["request_id"] for line in out.getvalue().splitlines()] == ["a", "c"]


async def export_file(tmp_path: Path, records: list[UsageRecord]) -> Path:
    ledger = MemoryLedger()
    await ledger.write_batch(records)
    path = tmp_path / "usage.jsonl"
    with path.open("wb") as out:
        await export_usage(ledger, out, at(0), at(3600))
    return path


async def test_bench_replays_an_export_as_it_is(tmp_path: Path) -> None:
    path = await export_file(tmp_path, DAY)
    trace = parse_trace(path.read_text().splitlines())
    assert [entry.offset for entry in trace] == [0.0, 1.5, 60.0]
    assert [(e.model, e.prompt_tokens, e.max_tokens) for e in trace] == [
        ("gpt-4o", 500, 100),
        ("gpt-4o-mini", 50, 20),
        ("gpt-4o", 700, 7),
    ]
    assert trace.skipped == 3  # the 429, the 502 and the embedding


def test_an_export_of_only_failures_is_not_a_trace() -> None:
    lines = [encode_line(record).decode() for record in DAY[2:4]]
    with pytest.raises(TraceError, match=r"holds no requests \(2 usage records left out"):
        parse_trace(lines, "t")
    with pytest.raises(TraceError, match="'status' must be an HTTP status"):
        parse_trace(['{"offset_s": 0, "prompt_tokens": 5, "max_tokens": 5, "status": "ok"}'])


def test_a_hand_written_trace_without_status_is_still_strict() -> None:
    with pytest.raises(TraceError, match="'max_tokens' must be a whole number of at least 1"):
        parse_trace(['{"offset_s": 0, "prompt_tokens": 5, "max_tokens": 0}'])


def test_a_replayed_request_is_as_large_as_the_recorded_one() -> None:
    trace = parse_trace([encode_line(record).decode() for record in DAY])
    source = TraceSource(trace, "gpt-4o", "gpt-4o", "run1", seed=3)
    for index, entry in enumerate(trace):
        body = json.loads(source.request(index).body)
        assert body["max_tokens"] == entry.max_tokens
        assert body["messages"][0]["content"].startswith(marker("run1", index))
        sent = estimate_request_tokens(body, Endpoint.CHAT)
        assert entry.prompt_tokens is not None
        assert abs(sent - entry.prompt_tokens) <= 2, (sent, entry.prompt_tokens)
    # A size smaller than the framing itself still sends a prompt: the marker and one word.
    tiny = parse_trace(['{"offset_s": 0, "prompt_tokens": 1, "max_tokens": 1}'])
    body = json.loads(TraceSource(tiny, None, "m", "run1", seed=3).request(0).body)
    assert len(body["messages"][0]["content"].split()) == 2


async def test_the_planner_reads_an_export_as_it_is(tmp_path: Path) -> None:
    log = read_usage_log(await export_file(tmp_path, DAY))
    assert log.skipped == 2  # the 429 and the 502; the embedding is a served request
    assert [(row.model, row.prompt_tokens, row.completion_tokens) for row in log.rows] == [
        ("gpt-4o", 500, 100),
        ("gpt-4o-mini", 50, 20),
        ("embed", 30, 0),
        ("gpt-4o", 700, 7),
    ]
    assert log.rows[1].at == at(1.5)
    demands = log_demands(log)
    assert demands["gpt-4o"].prompt_tokens == [500, 700]
    assert demands["gpt-4o"].minutes == 2  # 09:00 to the end of 09:01


def test_the_planner_takes_timestamp_or_at_in_csv_too(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text(
        "timestamp,model,prompt_tokens,completion_tokens\n2026-11-03T09:00:00Z,gpt-4o,5,1\n"
    )
    (row,) = read_usage_log(path).rows
    assert row.at == T0
    path.write_text("model,prompt_tokens,completion_tokens\ngpt-4o,5,1\n")
    with pytest.raises(PlanInputError, match=r"u.csv:1: the header lacks at \(or timestamp\);"):
        read_usage_log(path)


@pytest.mark.parametrize(
    ("param", "value", "says"),
    [
        ("model", "", "model must name a model route, not be empty"),
        ("team", "   ", "team must name a team, not be empty"),
        ("team", "t" * 257, "team is longer than any stored team (256 characters)"),
    ],
)
def test_bad_filters_name_the_parameter(param: str, value: str, says: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        parse_filter(param, value)
    assert raised.value.message == says
    assert raised.value.param == param


def test_filters_and_limits_that_are_fine() -> None:
    assert parse_filter("model", None) is None
    assert parse_filter("model", "gpt-4o") == "gpt-4o"
    assert parse_limit(None) is None
    assert parse_limit(5) == 5
    with pytest.raises(InvalidRequest, match="limit must be at least 1, got 0"):
        parse_limit(0)
