"""The local write-ahead spool of usage records: a record is on disk before its request ends.

Layout: a directory of append-only segment files `usage-<seq>.spool`, read in `seq` order.
Each record is one line::

    <crc32 of the JSON, 8 lowercase hex digits> <JSON>\\n

where the JSON is `{"v": 1, "t": <wall seconds when spooled>, "r": {<UsageRecord fields>}}`.
A record's `capture` is written only when it has one (an object of `Capture` fields), so lines
without one are the same as before captures existed, and lines from then still replay.
A line goes to the kernel in one `write()`, so a killed process leaves at most one torn line,
always the last of its segment; it has no newline (or fails its checksum) and is skipped. A
new process never appends to an old segment: it opens a fresh one, so a torn tail is never
glued to a later record.

Progress is recorded by deleting segments: once every record of a sealed segment is confirmed
written to the ledger, the file goes. Whatever is left at start-up is replayed; the ledger is
idempotent on `request_id`, so a record written just before a crash and replayed after it is
stored once.

Only one process may use a directory (a POSIX lock on `spool.lock` enforces it); replicas need
their own. Everything here is synchronous and meant for the event loop's thread, except the
`fsync` of the descriptors `take_dirty()` returns, which callers run in a worker thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import zlib
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from sluicegate.core.capture import Capture
from sluicegate.core.ledger import UsageRecord

log = logging.getLogger("sluicegate.ledger")

FORMAT_VERSION = 1
SEGMENT_PREFIX = "usage-"
SEGMENT_SUFFIX = ".spool"
LOCK_NAME = "spool.lock"
_READ_CHUNK = 256 * 1024
_FIELDS = tuple(field.name for field in fields(UsageRecord) if field.name != "capture")


class SpoolError(RuntimeError):
    """The spool directory cannot be used."""


class CorruptLine(ValueError):
    """A spool line that is torn or fails its checksum."""


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    record: UsageRecord
    spooled_at: float
    """Wall-clock seconds when the record was spooled."""


def encode(record: UsageRecord, spooled_at: float) -> bytes:
    """One spool line, newline included."""
    values: dict[str, Any] = {name: getattr(record, name) for name in _FIELDS}
    if record.capture is not None:
        values["capture"] = record.capture
    payload = orjson.dumps({"v": FORMAT_VERSION, "t": spooled_at, "r": values})
    return b"%08x %b\n" % (zlib.crc32(payload), payload)


def decode(line: bytes) -> SpoolEntry:
    """The entry of one line (without its newline); CorruptLine when it is damaged."""
    if len(line) < 10 or line[8:9] != b" ":
        raise CorruptLine("line too short or without a checksum")
    payload = line[9:]
    try:
        expected = int(line[:8], 16)
    except ValueError:
        raise CorruptLine("checksum is not hexadecimal") from None
    if zlib.crc32(payload) != expected:
        raise CorruptLine("checksum mismatch")
    try:
        data = orjson.loads(payload)
        if data["v"] != FORMAT_VERSION:
            raise CorruptLine(f"unknown spool format version {data['v']!r}")
        values = dict(data["r"])
        values["at"] = datetime.fromisoformat(values["at"])
        if values.get("capture") is not None:
            values["capture"] = Capture(**values["capture"])
        return SpoolEntry(UsageRecord(**values), float(data["t"]))
    except CorruptLine:
        raise
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise CorruptLine(f"not a usage record ({type(error).__name__})") from None


@dataclass(slots=True)
class _Segment:
    seq: int
    path: Path
    fd: int
    size: int
    sealed: bool


class LedgerSpool:
    """Segment files in one directory: append at the end, read and confirm from the front."""

    def __init__(self, directory: Path, *, segment_bytes: int = 16 * 1024 * 1024) -> None:
        if segment_bytes < 1024:
            raise ValueError("segment_bytes must be at least 1024")
        self.directory = directory
        self._segment_bytes = segment_bytes
        self._segments: list[_Segment] = []
        self._lock_fd: int | None = None
        self._dir_dirty = False
        self._dirty: set[int] = set()
        self._read_index = 0
        self._read_offset = 0
        self._confirmed_offset = 0
        self._unconfirmed = 0
        self.pending = 0
        """Records spooled (or found at start-up) and not yet confirmed."""
        self.appended = 0
        """Records appended since open; a sync that started after append n covers it."""
        self.corrupt = 0

    def __repr__(self) -> str:
        return f"LedgerSpool({str(self.directory)!r}, pending={self.pending})"

    @property
    def size(self) -> int:
        """Bytes on disk over all segments."""
        return sum(segment.size for segment in self._segments)

    @property
    def backlog_bytes(self) -> int:
        """Bytes not yet confirmed; the disk holds at most one segment more."""
        return self.size - self._confirmed_offset

    def open(self) -> None:
        """Lock the directory, queue what an earlier process left, start a fresh segment."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock()
            for seq, path in _existing_segments(self.directory):
                fd = os.open(path, os.O_RDWR)
                data_size = os.fstat(fd).st_size
                self._segments.append(_Segment(seq, path, fd, data_size, sealed=True))
                self.pending += _count_lines(fd, data_size)
            self._new_segment()
        except OSError as error:
            self.close()
            raise SpoolError(
                f"cannot open the usage spool directory {str(self.directory)!r}: "
                f"{error.strerror or type(error).__name__}"
            ) from None
        if self.pending:
            log.info("replaying %d usage records from the spool", self.pending)

    def close(self) -> None:
        """Close the files and release the lock; nothing is deleted or written."""
        for segment in self._segments:
            with contextlib.suppress(OSError):
                os.close(segment.fd)
        self._segments.clear()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def append(self, record: UsageRecord, spooled_at: float) -> None:
        """Hand one record to the kernel in one write; OSError when the disk refuses it."""
        line = encode(record, spooled_at)
        active = self._segments[-1]
        if active.sealed:  # an earlier rotation failed half-way
            active = self._new_segment()
        elif active.size and active.size + len(line) > self._segment_bytes:
            active = self._rotate()
        try:
            written = os.write(active.fd, line)
        except OSError:
            self._rotate()  # whatever part got out is now a torn tail, never followed
            raise
        active.size += written
        self._dirty.add(active.seq)
        if written != len(line):
            self._rotate()
            raise OSError(f"short write to the usage spool ({written} of {len(line)} bytes)")
        self.pending += 1
        self.appended += 1

    def take_dirty(self) -> list[int]:
        """Duplicates of the descriptors written since the last call, for a worker thread to
        `fsync` and close (duplicates, so deleting a segment meanwhile cannot hurt)."""
        fds = [os.dup(s.fd) for s in self._segments if s.seq in self._dirty]
        self._dirty.clear()
        if self._dir_dirty:
            self._dir_dirty = False
            fds.append(os.open(self.directory, os.O_RDONLY))
        return fds

    def read(self, limit: int) -> list[SpoolEntry]:
        """Up to `limit` records after the ones already read; they stay pending until
        `confirm`. Damaged lines are skipped, logged and counted."""
        entries: list[SpoolEntry] = []
        while len(entries) < limit and self._read_index < len(self._segments):
            segment = self._segments[self._read_index]
            if not self._read_from(segment, limit, entries):
                break
        self._unconfirmed += len(entries)
        if not self._unconfirmed:
            self.confirm()  # nothing in flight: drop segments read to the end (empty ones)
        return entries

    def confirm(self) -> None:
        """Everything read so far is in the ledger: forget it, delete finished segments."""
        self.pending -= self._unconfirmed
        self._unconfirmed = 0
        while self._read_index > 0:
            segment = self._segments.pop(0)
            self._read_index -= 1
            with contextlib.suppress(OSError):
                os.close(segment.fd)
            try:
                segment.path.unlink(missing_ok=True)
            except OSError as error:  # replayed, harmlessly, at the next start
                log.warning("cannot delete the written spool segment %s: %s", segment.path, error)
        self._confirmed_offset = self._read_offset

    def _read_from(self, segment: _Segment, limit: int, entries: list[SpoolEntry]) -> bool:
        """Read from one segment until `entries` holds `limit`; False when the caller must
        wait for more appends."""
        chunk = _READ_CHUNK
        while True:
            data = os.pread(segment.fd, chunk, self._read_offset)
            end = data.rfind(b"\n")
            if end >= 0 or len(data) < chunk:
                break
            chunk *= 2  # one line longer than the chunk: read more
        if end < 0:
            if not segment.sealed:
                return False
            if data:
                self._skip(segment, "torn last line (the process stopped mid-write)")
            self._read_index += 1
            self._read_offset = 0
            return True
        for line in data[:end].split(b"\n"):
            if len(entries) == limit:
                return True
            self._read_offset += len(line) + 1
            try:
                entries.append(decode(line))
            except CorruptLine as error:
                self.pending -= 1
                self._skip(segment, str(error))
        return True

    def _skip(self, segment: _Segment, why: str) -> None:
        self.corrupt += 1
        log.error(
            "skipping a damaged usage spool line in %s at byte %d: %s",
            segment.path.name,
            self._read_offset,
            why,
        )

    def _rotate(self) -> _Segment:
        self._segments[-1].sealed = True
        return self._new_segment()

    def _new_segment(self) -> _Segment:
        seq = self._segments[-1].seq + 1 if self._segments else 1
        path = self.directory / f"{SEGMENT_PREFIX}{seq:012d}{SEGMENT_SUFFIX}"
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        segment = _Segment(seq, path, fd, 0, sealed=False)
        self._segments.append(segment)
        self._dir_dirty = True
        return segment

    def _lock(self) -> None:
        fd = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise SpoolError(
                f"the usage spool directory {str(self.directory)!r} is in use by another "
                "process; give every gateway process its own spool directory"
            ) from None
        self._lock_fd = fd


def _existing_segments(directory: Path) -> list[tuple[int, Path]]:
    found = []
    for path in directory.iterdir():
        name = path.name
        if name.startswith(SEGMENT_PREFIX) and name.endswith(SEGMENT_SUFFIX):
            digits = name[len(SEGMENT_PREFIX) : -len(SEGMENT_SUFFIX)]
            if digits.isdigit():
                found.append((int(digits), path))
    return sorted(found)


def _count_lines(fd: int, size: int) -> int:
    """Complete lines in a file; damaged ones are subtracted again when read."""
    count = offset = 0
    while offset < size:
        data = os.pread(fd, _READ_CHUNK, offset)
        if not data:
            break
        count += data.count(b"\n")
        offset += len(data)
    return count
