"""Captures in the usage spool: they round-trip with their record, and older lines still replay."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from tests.records import usage_record

from sluicegate.core.capture import Capture
from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.ledger_spool import CorruptLine, LedgerSpool, decode, encode

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CAPTURE = Capture(
    request='{"model":"gpt-4o","messages":[{"role":"user","content":"naïve \\"quote\\"\\n"}]}',
    response='{"choices":[{"index":0,"message":{"role":"assistant","content":"😀"}}]}',
    request_truncated=True,
)


def record(request_id: str = "req-1", capture: Capture | None = None) -> UsageRecord:
    return usage_record(request_id, T0, capture=capture)


def line_of(values: dict[str, object]) -> bytes:
    payload = orjson.dumps({"v": 1, "t": 5.0, "r": values})
    return b"%08x %b" % (zlib.crc32(payload), payload)


def test_a_record_with_a_capture_round_trips() -> None:
    line = encode(record(capture=CAPTURE), 5.0)
    assert line.count(b"\n") == 1
    assert decode(line[:-1]).record == record(capture=CAPTURE)


def test_a_capture_without_a_response_round_trips() -> None:
    capture = Capture(request="{}", response=None)
    assert decode(encode(record(capture=capture), 5.0)[:-1]).record.capture == capture


def test_a_record_without_a_capture_is_written_as_before() -> None:
    line = encode(record(), 5.0)
    assert b"capture" not in line
    assert decode(line[:-1]).record == record()


def test_a_line_written_before_captures_existed_replays() -> None:
    old = {
        "request_id": "old-1",
        "at": T0.isoformat(),
        "subject": "key-a",
        "team": "search",
        "model": "gpt-4o",
        "backend": "ptu-east",
        "status": 200,
        "deployment": None,
        "attempts": 1,
        "prompt_tokens": 3,
        "completion_tokens": 4,
        "cached_tokens": 0,
        "cost": 0.0,
        "latency_ms": 1.0,
        "ttft_ms": None,
        "prompt_version": None,
        "billing": "ptu",
    }
    entry = decode(line_of(old))
    assert entry.record.request_id == "old-1"
    assert entry.record.capture is None
    assert entry.record.prompt_tokens == 3


@pytest.mark.parametrize("capture", ["text", ["a"], {"request": "x", "surprise": 1}, {}])
def test_a_damaged_capture_is_a_corrupt_line(capture: object) -> None:
    values = orjson.loads(encode(record(), 5.0)[9:])["r"]
    values["capture"] = capture
    with pytest.raises(CorruptLine, match="not a usage record"):
        decode(line_of(values))


def test_captured_and_plain_records_replay_from_the_spool_files(tmp_path: Path) -> None:
    spool = LedgerSpool(tmp_path)
    spool.open()
    records = [record("a", CAPTURE), record("b"), record("c", Capture(request="{}"))]
    for item in records:
        spool.append(item, 1.0)
    spool.close()

    reopened = LedgerSpool(tmp_path)
    reopened.open()
    try:
        assert [entry.record for entry in reopened.read(10)] == records
    finally:
        reopened.close()
