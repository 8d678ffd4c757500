"""The body of `POST /v1/feedback`, parsed and checked against the configured bounds.

Every problem is an `InvalidRequest` (400) whose `param` names the field, never echoing the
text that was sent. An empty `label`, `comment` or `correction` counts as none (it clears
that field of an earlier rating, as `null` does).
"""

from __future__ import annotations

import math
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sluicegate.config.feedback import MAX_LABEL_LENGTH, FeedbackSettings
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.feedback import RATING_FIELDS, Rating
from sluicegate.server.admin.endpoints import invalid

MAX_REQUEST_ID_LENGTH = 128


class FeedbackBody(BaseModel):
    """`{"request_id", "thumbs", "score", "label", "comment", "correction"}`: the request's
    `x-request-id` and at least one rating field."""

    model_config = ConfigDict(extra="forbid", strict=True)

    request_id: str = Field(min_length=1, max_length=MAX_REQUEST_ID_LENGTH)
    thumbs: Literal["up", "down"] | None = None
    score: float | None = None
    label: str | None = None
    comment: str | None = None
    correction: str | None = None


def parse_feedback(raw: bytes, settings: FeedbackSettings) -> tuple[str, Rating]:
    """The request id and the rating a body carries."""
    try:
        data = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError as error:
        raise InvalidRequest(
            f"The request body is not valid JSON ({error}).", code="invalid_json"
        ) from None
    if not isinstance(data, dict):
        raise InvalidRequest(
            "The request body must be a JSON object with request_id and a rating.",
            code="invalid_json",
        )
    try:
        body = FeedbackBody.model_validate(data)
    except ValidationError as error:
        raise invalid(error) from None
    texts = {
        "label": _text(body.label),
        "comment": _text(body.comment),
        "correction": _text(body.correction),
    }
    _check_score(body.score, settings)
    _check_label(texts["label"], settings)
    _check_length("comment", texts["comment"], settings.max_comment_length)
    _check_length("correction", texts["correction"], settings.max_correction_length)
    given = frozenset(name for name in RATING_FIELDS if name in body.model_fields_set)
    rating = Rating(
        thumbs=body.thumbs,
        score=body.score,
        label=texts["label"],
        comment=texts["comment"],
        correction=texts["correction"],
        given=given,
    )
    if not any(value is not None for value in rating.values().values()):
        raise InvalidRequest(
            "Send at least one of thumbs ('up' or 'down'), score, label, comment or correction.",
            param="thumbs",
        )
    return body.request_id, rating


def _text(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def _check_score(score: float | None, settings: FeedbackSettings) -> None:
    if score is None:
        return
    low, high = settings.score_min, settings.score_max
    if not math.isfinite(score) or not low <= score <= high:
        raise InvalidRequest(
            f"score must be a number from {low:g} to {high:g} (feedback.score_min and "
            "feedback.score_max).",
            param="score",
        )


def _check_label(label: str | None, settings: FeedbackSettings) -> None:
    if label is None:
        return
    allowed = settings.labels
    if allowed is not None and label not in allowed:
        raise InvalidRequest(
            f"label must be one of: {', '.join(allowed)} (feedback.labels).", param="label"
        )
    if len(label) > MAX_LABEL_LENGTH or not label.isprintable():
        raise InvalidRequest(
            f"label must be at most {MAX_LABEL_LENGTH} printable characters on one line.",
            param="label",
        )


def _check_length(name: str, text: str | None, limit: int) -> None:
    if text is not None and len(text) > limit:
        raise InvalidRequest(
            f"{name} is {len(text)} characters long; at most {limit} are accepted "
            f"(feedback.max_{name}_length).",
            param=name,
        )
