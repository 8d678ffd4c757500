"""User feedback on replies: what a rating holds, how it is stored, and how it is summed.

A rating belongs to one request (its `x-request-id`) and one rater. It is only accepted for a
request the usage ledger knows, and the request's model, backend, prompt version and consumer
are copied from its usage record into the stored feedback: summaries then need no join, and a
rating outlives the ledger's retention. Rating the same request again (as the same rater)
changes the stored rating; it never adds a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from sluicegate.core.ledger import UsageRecord

Thumbs = Literal["up", "down"]
RATING_FIELDS = ("thumbs", "score", "label", "comment", "correction")
"""What a rating may carry; a rating carries at least one of them."""

FeedbackDimension = Literal["prompt_version", "model", "backend", "consumer", "team"]
"""What feedback summaries group by; `consumer` is the key id or token subject that made the
request (its usage record's `subject`)."""
FEEDBACK_DIMENSIONS: tuple[FeedbackDimension, ...] = (
    "prompt_version",
    "model",
    "backend",
    "consumer",
    "team",
)


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (for example datetime.now(UTC))")


@dataclass(frozen=True, slots=True)
class Rating:
    """What one feedback post says. Fields not in `given` are left as they were stored (a
    first post stores them empty), so a front end may send thumbs first and a comment later.
    A field in `given` with the value None clears it."""

    thumbs: Thumbs | None = None
    score: float | None = None
    label: str | None = None
    comment: str | None = None
    correction: str | None = None
    given: frozenset[str] = field(default=frozenset())
    """The fields the post named; empty means the fields that are not None."""

    def __post_init__(self) -> None:
        if not self.given:
            named = frozenset(name for name in RATING_FIELDS if getattr(self, name) is not None)
            object.__setattr__(self, "given", named)
        unknown = self.given - set(RATING_FIELDS)
        if unknown:
            raise ValueError(f"not rating fields: {', '.join(sorted(unknown))}")
        if self.thumbs not in (None, "up", "down"):
            raise ValueError(f"thumbs must be 'up' or 'down', not {self.thumbs!r}")

    def values(self) -> dict[str, object]:
        """The given fields and their values."""
        return {name: getattr(self, name) for name in RATING_FIELDS if name in self.given}


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """One rater's rating of one request, as stored, with what the usage record said of it."""

    request_id: str
    rater: str
    """Who rated: the key id or token subject of the caller (the consumer itself when rated
    with a feedback token; `anonymous` with authentication off)."""
    subject: str
    """The consumer that made the request."""
    team: str
    model: str
    backend: str | None
    prompt_version: str | None
    request_at: datetime
    """When the request arrived; summaries and exports select by this time."""
    created_at: datetime
    updated_at: datetime
    thumbs: Thumbs | None = None
    score: float | None = None
    label: str | None = None
    comment: str | None = None
    correction: str | None = None
    id: int | None = None
    """Assigned by the store; orders records for paging."""

    def __post_init__(self) -> None:
        _require_aware("request_at", self.request_at)
        _require_aware("created_at", self.created_at)
        _require_aware("updated_at", self.updated_at)


def new_feedback(request: UsageRecord, rater: str, rating: Rating, at: datetime) -> FeedbackRecord:
    """The record a first rating of `request` stores."""
    return FeedbackRecord(
        request_id=request.request_id,
        rater=rater,
        subject=request.subject,
        team=request.team,
        model=request.model,
        backend=request.backend,
        prompt_version=request.prompt_version,
        request_at=request.at,
        created_at=at,
        updated_at=at,
        thumbs=rating.thumbs,
        score=rating.score,
        label=rating.label,
        comment=rating.comment,
        correction=rating.correction,
    )


@dataclass(frozen=True, slots=True)
class FeedbackTotals:
    """The sums of the ratings of one group; `group` holds one value per dimension asked for
    (None for requests without one, such as no prompt version)."""

    group: tuple[str | None, ...]
    ratings: int
    thumbs_up: int = 0
    thumbs_down: int = 0
    scores: int = 0
    """How many ratings carry a score."""
    score_sum: float = 0.0
    comments: int = 0
    corrections: int = 0


class RequestLookup(Protocol):
    """Finds the usage record of a request, including one not yet written to the database."""

    async def find(self, request_id: str) -> UsageRecord | None: ...


class FeedbackStore(Protocol):
    """Where ratings are kept, one per (request, rater)."""

    async def rate(
        self, request: UsageRecord, rater: str, rating: Rating, at: datetime
    ) -> tuple[FeedbackRecord, bool]:
        """Store the rating: a new record (created and updated `at`), or the given fields of
        the stored one changed (its creation time kept, updated `at`). The stored record, and
        True when it was new."""
        ...

    async def get(self, request_id: str, rater: str) -> FeedbackRecord | None: ...

    async def summarize(
        self,
        by: Sequence[FeedbackDimension],
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[FeedbackTotals]:
        """Totals per group for ratings of requests with `since <= request_at < until`."""
        ...

    async def page(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        after_id: int | None = None,
        limit: int = 1000,
    ) -> list[FeedbackRecord]:
        """Up to `limit` records of requests in the range with an id above `after_id`, by id:
        the next page of an export."""
        ...
