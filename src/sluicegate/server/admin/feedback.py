"""`/admin/feedback/summary`: how replies were rated, per prompt version, model, backend,
consumer or team, through the same report as `sluicegate feedback summary`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import Field

from sluicegate.admin.feedback_report import (
    feedback_summary,
    parse_dimensions,
    parse_time,
    summary_as_dict,
)
from sluicegate.core.feedback import FEEDBACK_DIMENSIONS, FeedbackStore
from sluicegate.server.admin.endpoints import Answer, Call, Endpoint
from sluicegate.server.admin.schemas import RequestModel, ResponseModel

TAG = "feedback"
Now = Callable[[], datetime]
_TIME_TEXT = (
    "A date (00:00 UTC), an ISO 8601 time (UTC when it names no zone), `now`, `today` or "
    "`yesterday`; compared with the time of the rated request."
)


class FeedbackSummaryQuery(RequestModel):
    by: str = Field(
        default="model",
        description="One or more of " + ", ".join(FEEDBACK_DIMENSIONS) + ", separated by commas.",
    )
    since: str | None = Field(default=None, description=_TIME_TEXT + " Default: no bound.")
    until: str | None = Field(default=None, description="Exclusive. " + _TIME_TEXT)


class FeedbackSummaryRowView(ResponseModel):
    group: dict[str, str | None] = Field(
        description="The value of each dimension; null for requests without one."
    )
    ratings: int
    thumbs_up: int
    thumbs_down: int
    thumbs_up_rate: float | None = Field(description="Up / (up + down); null without thumbs.")
    thumbs_up_ci95: list[float] | None = Field(
        description="The 95 % Wilson score interval of the rate, [low, high]."
    )
    scores: int
    mean_score: float | None
    comments: int
    corrections: int


class FeedbackSummaryView(ResponseModel):
    by: list[str]
    since: str | None
    until: str | None
    rows: list[FeedbackSummaryRowView]
    total: FeedbackSummaryRowView


class FeedbackEndpoints:
    """Feedback summaries from the feedback store."""

    def __init__(self, store: FeedbackStore, now: Now) -> None:
        self._store = store
        self._now = now

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "GET", "/admin/feedback/summary", self.summary,
                "Ratings per prompt version, model, backend, consumer or team", "read", TAG,
                FeedbackSummaryView, query=FeedbackSummaryQuery,
                description="Count, thumbs-up rate with its 95 % Wilson interval, mean score, "
                "comments and corrections of the ratings of requests in [since, until).",
            )
        ]  # fmt: skip

    async def summary(self, call: Call) -> Answer:
        query = call.query_as(FeedbackSummaryQuery)
        now = self._now()
        by = parse_dimensions(query.by)
        since = parse_time("since", query.since, now)
        until = parse_time("until", query.until, now)
        summary = await feedback_summary(self._store, by, since, until)
        return Answer(FeedbackSummaryView.model_validate(summary_as_dict(summary)))
