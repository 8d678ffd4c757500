"""`GET /admin/usage/records`: every request of a time range as JSON Lines, streamed from the
ledger in batches, through the same export as `sluicegate usage export`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import ConfigDict, Field

from sluicegate.admin.usage_export import (
    MAX_FILTER_LENGTH,
    MEDIA_TYPE,
    export_lines,
    parse_filter,
    parse_limit,
)
from sluicegate.admin.usage_report import parse_report_range
from sluicegate.core.ledger import LedgerStore
from sluicegate.server.admin.endpoints import Answer, Call, Endpoint, Lines
from sluicegate.server.admin.schemas import RequestModel, ResponseModel

Now = Callable[[], datetime]


class UsageRecordsQuery(RequestModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str | None = Field(
        default=None,
        alias="from",
        description="Requests made at or after: a date (00:00 UTC), an ISO 8601 time (UTC when "
        "it names no zone), `now`, `today` or `yesterday`; default: the start of this month "
        "(UTC).",
    )
    to: str | None = Field(default=None, description="Exclusive, the same forms; default: now.")
    model: str | None = Field(
        default=None, max_length=MAX_FILTER_LENGTH, description="Only this model route."
    )
    team: str | None = Field(
        default=None, max_length=MAX_FILTER_LENGTH, description="Only this team's requests."
    )
    limit: int | None = Field(default=None, ge=1, description="At most this many, the oldest.")


class UsageRecordLine(ResponseModel):
    """One line of the export: one request, as the ledger charged it."""

    timestamp: str = Field(description="When the request started: ISO 8601 in UTC (`Z`).")
    request_id: str
    model: str = Field(description="The model route the request matched.")
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    backend: str | None = Field(description="The backend that served it; null when none did.")
    status: int = Field(description="The HTTP status the client got (499: it left first).")
    latency_ms: float
    ttft_ms: float | None = Field(description="Time to the first byte; null when none came.")
    stream: bool | None = Field(
        description="Whether a streamed reply was asked for; null for records stored before "
        "the ledger kept it."
    )
    team: str
    subject: str = Field(description="The key id, or the token's subject; never a key.")
    prompt_version: str | None
    cost_usd: float


class UsageRecordEndpoints:
    """The usage ledger, one request per line."""

    def __init__(self, ledger: LedgerStore, now: Now) -> None:
        self._ledger = ledger
        self._now = now

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "GET", "/admin/usage/records", self.records, "Every request, one JSON line each",
                "read", "usage", UsageRecordLine, query=UsageRecordsQuery, media_type=MEDIA_TYPE,
                description="The usage records of [from, to), oldest first, as JSON Lines "
                "(one object per line, each as the schema): streamed from the ledger as it is "
                "read, so a month is never built in memory. The lines are what `sluicegate "
                "bench --trace` replays and `sluicegate plan --usage` plans from. An answer "
                "that fails after it started ends without the end of its chunked body.",
            )
        ]  # fmt: skip

    async def records(self, call: Call) -> Answer:
        query = call.query_as(UsageRecordsQuery)
        since, until = parse_report_range(query.from_, query.to, self._now())
        lines = export_lines(
            self._ledger,
            since,
            until,
            model=parse_filter("model", query.model),
            team=parse_filter("team", query.team),
            limit=parse_limit(query.limit),
        )
        return Answer(Lines(lines, MEDIA_TYPE))
