"""The usage ledger, one request per line: the export behind `sluicegate usage export` and
`GET /admin/usage/records`.

Each line is one JSON object, in the order the requests started:

    {"timestamp", "request_id", "model", "prompt_tokens", "completion_tokens", "cached_tokens",
     "backend", "status", "latency_ms", "ttft_ms", "stream", "team", "subject",
     "prompt_version", "cost_usd"}

The names are the ones the tools read, so one export feeds both without editing:
`sluicegate bench --trace` replays each line from `timestamp`, `prompt_tokens`,
`completion_tokens` (as `max_tokens`) and `model`, leaving out refused or failed requests
(`status` not 2xx) and requests that generated nothing; `sluicegate plan --usage` plans from
the same fields (it reads `timestamp` as its `at`) and skips the lines that are not 2xx.

A line holds what the ledger charged, never a secret (`subject` is the key id or the token's
subject, never the key) and never captured text: prompts and completions stay in the
`captures` table.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import IO, Any

import orjson

from sluicegate.admin.moments import show_moment
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.ledger import LedgerStore, UsageRecord

FIELDS = (
    "timestamp",
    "request_id",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "backend",
    "status",
    "latency_ms",
    "ttft_ms",
    "stream",
    "team",
    "subject",
    "prompt_version",
    "cost_usd",
)
"""The keys of every line, in the order they are written."""
MS_DECIMALS = 3
"""Latencies keep a microsecond; costs are written unrounded, so lines sum to the report."""
MAX_FILTER_LENGTH = 256
"""The longest model route or team name a filter may give (the ledger's column widths)."""
MEDIA_TYPE = "application/x-ndjson"
_WHAT = {"model": "model route", "team": "team"}


def export_line(record: UsageRecord) -> dict[str, Any]:
    """One line of the export, JSON-ready."""
    return {
        "timestamp": show_moment(record.at),
        "request_id": record.request_id,
        "model": record.model,
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "cached_tokens": record.cached_tokens,
        "backend": record.backend,
        "status": record.status,
        "latency_ms": round(record.latency_ms, MS_DECIMALS),
        "ttft_ms": None if record.ttft_ms is None else round(record.ttft_ms, MS_DECIMALS),
        "stream": record.stream,
        "team": record.team,
        "subject": record.subject,
        "prompt_version": record.prompt_version,
        "cost_usd": record.cost,
    }


def encode_line(record: UsageRecord) -> bytes:
    """The record's line, newline included."""
    return orjson.dumps(export_line(record)) + b"\n"


async def export_lines(
    ledger: LedgerStore,
    since: datetime,
    until: datetime,
    *,
    model: str | None = None,
    team: str | None = None,
    limit: int | None = None,
) -> AsyncGenerator[bytes, None]:
    """The lines of the records with `since <= at < until` (of `model` and `team` when
    given), oldest first, at most `limit`; read from the ledger in batches as they are taken."""
    async for record in ledger.records(since, until, model=model, team=team, limit=limit):
        yield encode_line(record)


async def export_usage(
    ledger: LedgerStore,
    out: IO[bytes],
    since: datetime,
    until: datetime,
    *,
    model: str | None = None,
    team: str | None = None,
    limit: int | None = None,
) -> int:
    """Write the lines of `export_lines` to `out`; how many were written."""
    written = 0
    async for line in export_lines(ledger, since, until, model=model, team=team, limit=limit):
        out.write(line)
        written += 1
    return written


def parse_filter(param: str, text: str | None) -> str | None:
    """A model route or team to keep, as given (None keeps all); InvalidRequest(param=param)
    when it is empty or longer than any stored name."""
    if text is None:
        return None
    what = _WHAT.get(param, "name")
    if not text.strip():
        raise InvalidRequest(f"{param} must name a {what}, not be empty", param=param)
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidRequest(
            f"{param} is longer than any stored {what} ({MAX_FILTER_LENGTH} characters)",
            param=param,
        )
    return text


def parse_limit(value: int | None) -> int | None:
    """At most this many records; InvalidRequest(param="limit") below 1."""
    if value is not None and value < 1:
        raise InvalidRequest(f"limit must be at least 1, got {value}", param="limit")
    return value
