"""What `POST /v1/feedback` accepts, what it refuses (400 naming the field), and its settings."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from sluicegate.config.feedback import FeedbackSettings
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.feedback import Rating
from sluicegate.server.feedback_body import parse_feedback

SETTINGS = FeedbackSettings(labels=["wrong_facts", "tone"], max_comment_length=20)


def parse(body: Any, settings: FeedbackSettings = SETTINGS) -> tuple[str, Rating]:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return parse_feedback(raw, settings)


def refusal(body: Any, settings: FeedbackSettings = SETTINGS) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        parse(body, settings)
    assert caught.value.status == 400
    return caught.value


def test_every_field_is_read() -> None:
    request_id, rating = parse(
        {
            "request_id": "abc",
            "thumbs": "down",
            "score": 2,
            "label": "tone",
            "comment": "too curt",
            "correction": "Hello! Here is…",
        }
    )
    assert request_id == "abc"
    assert rating == Rating("down", 2.0, "tone", "too curt", "Hello! Here is…")
    assert rating.given == {"thumbs", "score", "label", "comment", "correction"}


def test_only_the_fields_sent_are_given_and_null_or_empty_clears() -> None:
    _, rating = parse({"request_id": "abc", "thumbs": "up", "comment": None, "label": " "})
    assert rating.given == {"thumbs", "comment", "label"}
    assert rating.values() == {"thumbs": "up", "comment": None, "label": None}


def test_score_bounds_come_from_the_settings() -> None:
    assert parse({"request_id": "a", "score": 5})[1].score == 5.0
    assert parse({"request_id": "a", "score": 1.5})[1].score == 1.5
    for score in (0.99, 5.01, -3):
        error = refusal({"request_id": "a", "score": score})
        assert error.param == "score"
        assert "from 1 to 5" in error.message
    wide = FeedbackSettings(score_min=0, score_max=10)
    assert parse({"request_id": "a", "score": 10}, wide)[1].score == 10.0


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"request_id": "a", "score": "4"}, "score"),
        ({"request_id": "a", "score": True}, "score"),
        ({"request_id": "a", "thumbs": "meh"}, "thumbs"),
        ({"request_id": "a", "thumbs": True}, "thumbs"),
        ({"request_id": "a", "label": "other"}, "label"),
        ({"request_id": "a", "comment": "x" * 21}, "comment"),
        ({"request_id": "a", "comment": 5}, "comment"),
        ({"request_id": "a", "correction": ["no"]}, "correction"),
        ({"request_id": "a", "stars": 4}, "stars"),
        ({"score": 3}, "request_id"),
        ({"request_id": "", "score": 3}, "request_id"),
        ({"request_id": "r" * 129, "score": 3}, "request_id"),
        ({"request_id": 12, "score": 3}, "request_id"),
        ({"request_id": "a"}, "thumbs"),
        ({"request_id": "a", "thumbs": None, "comment": ""}, "thumbs"),
    ],
)
def test_bad_fields_are_named(body: dict[str, Any], param: str) -> None:
    error = refusal(body)
    assert error.param == param, error.message
    assert "x" * 21 not in error.message  # never the text that was sent back


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"up"', b"null"])
def test_a_body_that_is_not_a_json_object_is_refused(raw: bytes) -> None:
    assert refusal(raw).code == "invalid_json"


def test_any_label_of_at_most_128_printable_characters_without_a_list() -> None:
    free = FeedbackSettings()
    assert parse({"request_id": "a", "label": "anything"}, free)[1].label == "anything"
    assert refusal({"request_id": "a", "label": "l" * 129}, free).param == "label"
    assert refusal({"request_id": "a", "label": "two\nlines"}, free).param == "label"


def test_the_settings_refuse_what_cannot_work() -> None:
    with pytest.raises(ValidationError, match="score_min"):
        FeedbackSettings(score_min=5, score_max=5)
    with pytest.raises(ValidationError, match="at least 32"):
        FeedbackSettings.model_validate({"token_secret": "short"})
    with pytest.raises(ValidationError, match="repeat"):
        FeedbackSettings(labels=["a", "a"])
    with pytest.raises(ValidationError, match="at least one"):
        FeedbackSettings(labels=[])
    with pytest.raises(ValidationError, match="scheme and host"):
        FeedbackSettings(cors_origins=["https://app.example.com/"])
    settings = FeedbackSettings.model_validate(
        {"token_secret": "k" * 32, "cors_origins": ["*", "http://localhost:3000"]}
    )
    assert "k" * 32 not in repr(settings)
    defaults = FeedbackSettings()
    assert (defaults.enabled, defaults.score_min, defaults.score_max) == (True, 1.0, 5.0)
    assert (defaults.tokens, defaults.token_ttl_seconds, defaults.cors_origins) == (
        False,
        3600.0,
        [],
    )
