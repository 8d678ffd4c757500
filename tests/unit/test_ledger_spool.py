"""The usage spool's file format: checksummed lines, torn tails, replay, segment rotation."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.records import usage_record

from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.ledger_spool import (
    LOCK_NAME,
    CorruptLine,
    LedgerSpool,
    SpoolError,
    decode,
    encode,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def usage(n: int, **fields: object) -> UsageRecord:
    values: dict[str, object] = {
        "prompt_tokens": n,
        "completion_tokens": 2 * n,
        "cost": n / 1000,
        "latency_ms": 12.5,
    }
    return usage_record(f"req-{n:05d}", T0 + timedelta(seconds=n), **{**values, **fields})


def segments(directory: Path) -> list[Path]:
    return sorted(directory.glob("usage-*.spool"))


def opened(directory: Path, segment_bytes: int = 1 << 20) -> LedgerSpool:
    spool = LedgerSpool(directory, segment_bytes=segment_bytes)
    spool.open()
    return spool


def ids(spool: LedgerSpool, limit: int = 10_000) -> list[str]:
    return [entry.record.request_id for entry in spool.read(limit)]


def test_a_line_round_trips_every_field() -> None:
    record = usage(7, deployment="gpt-4o-2024", ttft_ms=3.25, cached_tokens=4, attempts=2)
    line = encode(record, 1_700_000_000.5)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    entry = decode(line[:-1])
    assert entry.record == record
    assert entry.spooled_at == 1_700_000_000.5
    assert entry.record.at.utcoffset() == timedelta(0)


def test_a_record_with_a_null_backend_round_trips() -> None:
    record = usage(1, backend=None, status=429, attempts=0, ttft_ms=None)
    assert decode(encode(record, 1.0)[:-1]).record == record


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda line: line[:-5], "checksum mismatch"),
        (lambda line: line.replace(b'"key-a"', b'"key-b"'), "checksum mismatch"),
        (lambda line: b"zzzzzzzz" + line[8:], "not hexadecimal"),
        (lambda line: line[:6], "too short"),
    ],
)
def test_a_damaged_line_is_refused(damage: object, why: str) -> None:
    line = encode(usage(1), 1.0)[:-1]
    with pytest.raises(CorruptLine, match=why):
        decode(damage(line))  # type: ignore[operator]


def test_a_line_of_another_format_version_is_refused() -> None:
    line = encode(usage(1), 1.0)[:-1].replace(b'"v":1', b'"v":9')
    fixed = b"%08x" % zlib.crc32(line[9:]) + line[8:]
    with pytest.raises(CorruptLine, match="version 9"):
        decode(fixed)


def test_records_are_read_in_order_and_stay_pending_until_confirmed(tmp_path: Path) -> None:
    spool = opened(tmp_path)
    for n in range(5):
        spool.append(usage(n), 100.0 + n)
    assert spool.pending == 5
    assert ids(spool, 3) == ["req-00000", "req-00001", "req-00002"]
    assert ids(spool, 3) == ["req-00003", "req-00004"]
    assert ids(spool) == []
    assert spool.pending == 5
    spool.confirm()
    assert spool.pending == 0
    spool.close()


def test_unconfirmed_records_are_replayed_by_the_next_process(tmp_path: Path) -> None:
    first = opened(tmp_path)
    for n in range(4):
        first.append(usage(n), 1.0)
    assert len(ids(first, 2)) == 2
    first.confirm()  # two written; the next two read but never confirmed
    assert len(ids(first, 2)) == 2
    first.close()  # a crash: nothing more happens

    second = opened(tmp_path)
    assert second.pending == 4  # the unfinished segment is replayed whole (idempotent ledger)
    assert ids(second) == [f"req-{n:05d}" for n in range(4)]
    second.append(usage(9), 2.0)
    assert ids(second) == ["req-00009"]
    second.confirm()
    assert second.pending == 0
    assert len(segments(tmp_path)) == 1  # the old segment is gone; the fresh one stays open
    second.close()


def test_a_new_process_never_appends_to_an_old_segment(tmp_path: Path) -> None:
    first = opened(tmp_path)
    first.append(usage(1), 1.0)
    first.close()
    second = opened(tmp_path)
    second.append(usage(2), 1.0)
    second.close()
    first_file, second_file = segments(tmp_path)
    assert b"req-00001" in first_file.read_bytes()
    assert b"req-00002" not in first_file.read_bytes()
    assert b"req-00002" in second_file.read_bytes()


def test_a_torn_last_line_is_skipped_and_counted(tmp_path: Path) -> None:
    first = opened(tmp_path)
    for n in range(3):
        first.append(usage(n), 1.0)
    first.close()
    (segment,) = segments(tmp_path)
    whole = segment.read_bytes()
    segment.write_bytes(whole[:-40])  # killed in the middle of writing the third line

    second = opened(tmp_path)
    assert second.pending == 2
    assert ids(second) == ["req-00000", "req-00001"]
    assert second.corrupt == 1
    second.confirm()
    assert second.pending == 0
    assert segment not in segments(tmp_path)
    second.close()


def test_a_line_failing_its_checksum_is_skipped_and_the_rest_replayed(tmp_path: Path) -> None:
    first = opened(tmp_path)
    for n in range(3):
        first.append(usage(n), 1.0)
    first.close()
    (segment,) = segments(tmp_path)
    lines = segment.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"search", b"s3arch")  # a flipped byte on disk
    segment.write_bytes(b"\n".join(lines))

    second = opened(tmp_path)
    assert ids(second) == ["req-00000", "req-00002"]
    assert second.corrupt == 1
    assert second.pending == 2
    second.close()


def test_segments_rotate_at_their_size_and_are_deleted_once_confirmed(tmp_path: Path) -> None:
    # Lines of one length, so a segment holds exactly per_segment of them.
    records = [usage(n, prompt_tokens=10, completion_tokens=20, cost=0.5) for n in range(100)]
    line_size = len(encode(records[0], 1.0))
    assert {len(encode(record, 1.0)) for record in records} == {line_size}
    spool = opened(tmp_path, segment_bytes=max(1024, 3 * line_size))
    per_segment = max(1024, 3 * line_size) // line_size
    total = 3 * per_segment + 1
    for record in records[:total]:
        spool.append(record, 1.0)
    assert len(segments(tmp_path)) == 4
    assert all(path.stat().st_size <= max(1024, 3 * line_size) for path in segments(tmp_path))
    assert spool.size == sum(path.stat().st_size for path in segments(tmp_path))

    assert len(ids(spool, per_segment + 1)) == per_segment + 1
    spool.confirm()
    assert len(segments(tmp_path)) == 3  # the first segment is done; the second is not
    assert len(ids(spool)) == total - per_segment - 1
    spool.confirm()
    assert len(segments(tmp_path)) == 1
    assert spool.pending == 0
    spool.close()


def test_replay_reads_across_segments_in_order(tmp_path: Path) -> None:
    spool = opened(tmp_path, segment_bytes=1024)
    for n in range(12):
        spool.append(usage(n), 1.0)
    spool.close()
    assert len(segments(tmp_path)) > 2
    replay = opened(tmp_path, segment_bytes=1024)
    assert replay.pending == 12
    assert ids(replay) == [f"req-{n:05d}" for n in range(12)]
    replay.close()


def test_empty_segments_left_by_a_crash_are_removed(tmp_path: Path) -> None:
    for _ in range(3):
        opened(tmp_path).close()  # each start creates a segment, nothing written
    assert len(segments(tmp_path)) == 3
    spool = opened(tmp_path)
    assert ids(spool) == []
    assert len(segments(tmp_path)) == 1
    spool.close()


def test_take_dirty_returns_descriptors_written_since_the_last_call(tmp_path: Path) -> None:
    spool = opened(tmp_path)
    first = spool.take_dirty()
    assert len(first) == 1  # the directory, after creating the segment
    spool.append(usage(1), 1.0)
    dirty = spool.take_dirty()
    assert len(dirty) == 1
    for fd in first + dirty:
        os.fsync(fd)
        os.close(fd)
    assert spool.take_dirty() == []
    spool.close()


def test_a_second_process_cannot_use_the_same_directory(tmp_path: Path) -> None:
    spool = opened(tmp_path)
    child = (
        "import sys; from pathlib import Path\n"
        "from sluicegate.stores.ledger_spool import LedgerSpool, SpoolError\n"
        "try:\n    LedgerSpool(Path(sys.argv[1])).open()\n"
        "except SpoolError as error:\n    print(error); sys.exit(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    spool.close()
    assert done.returncode == 3, done.stderr
    assert "in use by another process" in done.stdout
    assert (tmp_path / LOCK_NAME).exists()


def test_an_unusable_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SpoolError, match="cannot open the usage spool directory"):
        LedgerSpool(blocker / "spool").open()


def test_a_tiny_segment_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="segment_bytes"):
        LedgerSpool(tmp_path, segment_bytes=10)


def test_the_backlog_counts_only_bytes_not_yet_confirmed(tmp_path: Path) -> None:
    spool = opened(tmp_path)
    sizes = [len(encode(usage(n), 1.0)) for n in range(4)]
    for n in range(4):
        spool.append(usage(n), 1.0)
    assert spool.backlog_bytes == spool.size == sum(sizes)
    ids(spool, 3)
    assert spool.backlog_bytes == sum(sizes)  # read is not confirmed
    spool.confirm()
    assert spool.backlog_bytes == sizes[3]
    assert spool.size == sum(sizes)  # the open segment stays until it rotates
    spool.close()
