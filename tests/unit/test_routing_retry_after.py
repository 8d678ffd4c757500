"""Cool-down length from a backend's reply headers."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from multidict import CIMultiDict

from sluicegate.routing.retry_after import cooldown_seconds

NOW = 1_700_000_000.0


def cool(headers: dict[str, str], *, default: float = 10.0, maximum: float = 300.0) -> float:
    return cooldown_seconds(headers, now_wall=NOW, default=default, maximum=maximum)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250.5"}, 0.2505),
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"x-ratelimit-reset-requests": "1s"}, 1.0),
        ({"x-ratelimit-reset-requests": "6m0s"}, 360.0),
        ({"x-ratelimit-reset-requests": "20ms"}, 0.02),
        ({"x-ratelimit-reset-requests": "1.5s"}, 1.5),
        ({"x-ratelimit-reset-requests": "1h2m3.5s"}, 3723.5),
        ({"x-ratelimit-reset-tokens": "12"}, 12.0),
        ({}, 10.0),
    ],
)
def test_each_source_is_read(headers: dict[str, str], expected: float) -> None:
    assert cool(headers, maximum=10_000) == pytest.approx(expected)


def test_retry_after_http_date_is_relative_to_the_wall_clock() -> None:
    headers = {"Retry-After": formatdate(NOW + 42, usegmt=True)}
    assert cool(headers) == pytest.approx(42.0)


def test_retry_after_http_date_in_the_past_means_now() -> None:
    headers = {"Retry-After": formatdate(NOW - 60, usegmt=True)}
    assert cool(headers) == 0.0


def test_retry_after_ms_wins_over_retry_after() -> None:
    assert cool({"Retry-After": "9", "retry-after-ms": "2000"}) == 2.0


def test_retry_after_wins_over_reset_headers() -> None:
    assert cool({"x-ratelimit-reset-tokens": "30s", "Retry-After": "4"}) == 4.0


def test_larger_of_the_two_reset_headers() -> None:
    headers = {"x-ratelimit-reset-requests": "2s", "x-ratelimit-reset-tokens": "1m0s"}
    assert cool(headers) == 60.0


def test_one_malformed_reset_header_leaves_the_other() -> None:
    headers = {"x-ratelimit-reset-requests": "soon", "x-ratelimit-reset-tokens": "3s"}
    assert cool(headers) == 3.0


@pytest.mark.parametrize(
    "headers",
    [
        {"RETRY-AFTER-MS": "3000"},
        {"Retry-After-Ms": "3000"},
        {"retry-after": "3"},
        {"X-RateLimit-Reset-Tokens": "3s"},
    ],
)
def test_header_names_are_case_insensitive(headers: dict[str, str]) -> None:
    assert cool(headers) == 3.0


def test_accepts_a_multidict() -> None:
    headers: CIMultiDict[str] = CIMultiDict({"Retry-After-MS": "4500"})
    assert cooldown_seconds(headers, now_wall=NOW, default=10.0, maximum=300.0) == 4.5


@pytest.mark.parametrize(
    "bad",
    ["", "abc", "-1", "-0.5", "nan", "NaN", "inf", "-inf", "1e3", "9" * 400, "1,5", "0x10", "1 s"],
)
def test_malformed_values_fall_through_to_the_next_source(bad: str) -> None:
    headers = {"retry-after-ms": bad, "Retry-After": bad, "x-ratelimit-reset-requests": bad}
    assert cool(headers, default=6.0) == 6.0
    assert cool({"retry-after-ms": bad, "Retry-After": "2"}) == 2.0


@pytest.mark.parametrize("bad", ["Mon, 99 Foo 2023 25:61:00 GMT", "tomorrow", "Fri, 31 Dec"])
def test_malformed_http_dates_are_skipped(bad: str) -> None:
    assert cool({"Retry-After": bad, "x-ratelimit-reset-tokens": "5s"}) == 5.0


@pytest.mark.parametrize("bad", ["5x", "m", "1.5.2s", "s1", "-3s", "1h-2m"])
def test_malformed_durations_are_skipped(bad: str) -> None:
    assert cool({"x-ratelimit-reset-requests": bad}, default=8.0) == 8.0


def test_clamped_to_the_maximum() -> None:
    assert cool({"Retry-After": "86400"}, maximum=300.0) == 300.0
    assert cool({}, default=500.0, maximum=300.0) == 300.0


def test_zero_is_a_valid_answer() -> None:
    assert cool({"retry-after-ms": "0"}) == 0.0


def test_reset_headers_can_be_ignored() -> None:
    headers = {"x-ratelimit-reset-requests": "30s"}
    assert (
        cooldown_seconds(headers, now_wall=NOW, default=5.0, maximum=300.0, use_reset_headers=False)
        == 5.0
    )
