"""Quota value types: validation, merged limits, headers and the 429 a denial becomes."""

from __future__ import annotations

import pytest

from sluicegate.core.errors import RateLimited
from sluicegate.core.quota import (
    Denial,
    Headroom,
    LimitKind,
    QuotaLimit,
    Scope,
    concurrency_denied,
    validate_cap,
    validate_tokens,
)
from sluicegate.stores.quota_decision import NEVER, LimitState, applicable, binding_denial


def test_limits_refuse_negative_values_and_empty_subjects() -> None:
    with pytest.raises(ValueError, match="tpm of key 'k' must be a whole number >= 0"):
        QuotaLimit(Scope.KEY, "k", tpm=-1)
    with pytest.raises(ValueError, match="rpm"):
        QuotaLimit(Scope.TEAM, "t", rpm=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty subject"):
        QuotaLimit(Scope.MODEL, "")
    assert not QuotaLimit(Scope.KEY, "k").active
    assert QuotaLimit(Scope.KEY, "k", rpm=0).active


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_token_counts_and_caps_must_be_whole_and_non_negative(bad: object) -> None:
    with pytest.raises(ValueError, match="whole number"):
        validate_tokens(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole number"):
        validate_cap(bad)  # type: ignore[arg-type]


def test_applicable_drops_inactive_limits_and_merges_one_subject_to_the_tightest() -> None:
    merged = applicable(
        [
            QuotaLimit(Scope.KEY, "k", tpm=1000),
            QuotaLimit(Scope.KEY, "other"),
            QuotaLimit(Scope.TEAM, "k", tpm=10),
            QuotaLimit(Scope.KEY, "k", tpm=2000, rpm=5),
        ]
    )
    assert merged == (
        QuotaLimit(Scope.KEY, "k", tpm=1000, rpm=5),
        QuotaLimit(Scope.TEAM, "k", tpm=10),
    )


def test_headroom_headers_only_name_the_kinds_that_apply() -> None:
    assert Headroom(limit_tokens=100, remaining_tokens=0).headers() == {
        "x-ratelimit-limit-tokens": "100",
        "x-ratelimit-remaining-tokens": "0",
    }
    assert Headroom().headers() == {}


def test_the_denial_that_frees_last_is_named_and_never_beats_any_wait() -> None:
    a = QuotaLimit(Scope.KEY, "a", tpm=100, rpm=1)
    b = QuotaLimit(Scope.TEAM, "b", tpm=100)
    states = [LimitState(90, 1, 2_000_000, 5_000_000), LimitState(50, 0, 3_000_000)]
    denial = binding_denial([a, b], states, 20, 60_000_000)
    assert denial is not None
    assert (denial.limit, denial.kind, denial.retry_after_s) == (a, LimitKind.REQUESTS, 5.0)
    assert (denial.used, denial.requested, denial.limit_value) == (1, 1, 1)
    states = [LimitState(90, 0, 2_000_000), LimitState(50, 0, NEVER)]
    never = binding_denial([a, b], states, 200, 60_000_000)
    assert never is not None
    assert (never.limit, never.retry_after_s) == (b, None)
    assert binding_denial([a], [LimitState(0, 0)], 1, 60_000_000) is None


def test_a_denial_becomes_a_429_with_retry_and_rate_limit_headers() -> None:
    denial = Denial(
        limit=QuotaLimit(Scope.TEAM, "research", tpm=20000),
        kind=LimitKind.TOKENS,
        limit_value=20000,
        used=19500,
        requested=1200,
        retry_after_s=2.0004,
        window_s=60.0,
        headroom=Headroom(20000, 500, 120, 100),
    )
    error = denial.error()
    assert isinstance(error, RateLimited)
    assert error.status == 429
    assert error.headers["Retry-After"] == "3"
    assert error.headers["retry-after-ms"] == "2001"
    assert error.headers["x-ratelimit-remaining-tokens"] == "500"
    assert error.headers["x-ratelimit-limit-requests"] == "120"
    assert error.message == (
        "Rate limit of team 'research' reached on tokens: limit 20000 per 60 s, used 19500, "
        "requested 1200. Retry after 2.000 s."
    )


def test_concurrency_denial_is_a_429_naming_the_cap() -> None:
    error = concurrency_denied("key-1", 4)
    assert error.status == 429
    assert error.code == "concurrency_limit_exceeded"
    assert "at most 4" in error.message
    assert error.headers["retry-after-ms"] == "1000"
