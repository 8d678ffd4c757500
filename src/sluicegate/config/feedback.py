"""Settings for user feedback on replies: `POST /v1/feedback`, its tokens and its bounds.

Feedback is stored per request and joined with the request's usage record, so it needs the
usage ledger (`ledger.enabled`); without it the endpoint explains that and stores nothing.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator

from sluicegate.config.strict import Strict

MAX_LABEL_LENGTH = 128
"""A label is a short category (`wrong_facts`, `tone`), stored in a column of this width."""
MIN_SECRET_LENGTH = 32
"""A token secret shorter than this is too easy to guess (`openssl rand -hex 32` gives 64)."""


class FeedbackSettings(Strict):
    enabled: bool = True
    """Serve `POST /v1/feedback` (and `/openai/v1/feedback`). It answers 501 while the usage
    ledger is off, since a rating is only accepted for a request the ledger knows."""
    score_min: float = 1.0
    score_max: float = 5.0
    """The range a `score` must fall in (both ends included)."""
    labels: list[str] | None = None
    """The labels a rating may carry; unset: any label of 1 to 128 characters."""
    max_comment_length: int = Field(default=2000, ge=1, le=100_000)
    """In characters."""
    max_correction_length: int = Field(default=20_000, ge=1, le=1_000_000)
    """In characters: a correction is the reply as it should have been."""
    tokens: bool = False
    """Give every successful model reply an `x-sluicegate-feedback-token` header: a signed,
    short-lived token with which a browser may rate that one reply without an API key."""
    token_ttl_seconds: float = Field(default=3600.0, gt=0, le=7 * 24 * 3600)
    """How long a feedback token stays valid."""
    token_secret: SecretStr | None = None
    """The key that signs feedback tokens; every replica must use the same one.
    `SLUICEGATE_FEEDBACK_SECRET` overrides it. Unset: a key is generated once and kept in the
    database (table `gateway_secrets`), where every replica finds it."""
    cors_origins: list[str] = Field(default_factory=list)
    """Browser origins (`https://app.example.com`) allowed to post feedback across origins;
    `*` allows every origin. Empty: no CORS headers at all."""

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("must name at least one label, or be left out to allow any")
        for label in value:
            if not label.strip() or len(label) > MAX_LABEL_LENGTH or not label.isprintable():
                raise ValueError(
                    f"label {label[:40]!r} must be 1 to {MAX_LABEL_LENGTH} printable characters"
                )
        if len(set(value)) != len(value):
            raise ValueError("labels must not repeat")
        return value

    @field_validator("token_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"must be at least {MIN_SECRET_LENGTH} characters (`openssl rand -hex 32`)"
            )
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and (
                not origin.startswith(("http://", "https://")) or origin.endswith("/")
            ):
                raise ValueError(
                    f"origin {origin[:60]!r} must be a scheme and host such as "
                    "https://app.example.com (no path, no trailing slash), or *"
                )
        return value

    @model_validator(mode="after")
    def _range(self) -> FeedbackSettings:
        if not self.score_min < self.score_max:
            raise ValueError(
                f"feedback.score_min ({self.score_min:g}) must be smaller than "
                f"feedback.score_max ({self.score_max:g})"
            )
        return self
