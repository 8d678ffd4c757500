"""The simulator's sliding window, PTU capacity and PAYG limits, on a hand-driven clock."""

from __future__ import annotations

import pytest

from sluicegate.config.simulator import SimDeployment
from sluicegate.simulator.capacity import (
    UTILIZATION_HEADER,
    PaygLimits,
    PtuCapacity,
    build_limiter,
    format_utilization,
    retry_headers,
)
from sluicegate.simulator.window import SlidingWindow


class Clock:
    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t


def test_window_forgets_charges_after_its_length() -> None:
    clock = Clock()
    window = SlidingWindow(10.0, clock)
    window.charge(5)
    clock.t += 4
    window.charge(7)
    assert window.total() == 12
    clock.t += 5.999
    assert window.total() == 12
    clock.t += 0.001  # the first charge is now exactly 10 s old
    assert window.total() == 7
    clock.t += 4
    assert window.total() == 0


def test_window_wait_is_time_until_enough_charges_leave() -> None:
    clock = Clock()
    window = SlidingWindow(10.0, clock)
    window.charge(50)
    clock.t += 2
    window.charge(30)
    clock.t += 1
    # 80 used of 100: 30 more needs the first charge (50) gone, at t0 + 10, 7 s from now.
    assert window.wait_for(30, 100) == pytest.approx(7.0)
    # 80 more needs both charges gone: the second leaves at t0 + 12, 9 s from now.
    assert window.wait_for(80, 100) == pytest.approx(9.0)
    # Anything larger than the capacity also waits only until the window is empty.
    assert window.wait_for(500, 100) == pytest.approx(9.0)


def test_window_rejects_non_positive_length() -> None:
    with pytest.raises(ValueError, match="positive"):
        SlidingWindow(0, Clock())


def test_ptu_admits_until_full_and_reports_utilization() -> None:
    clock = Clock()
    ptu = PtuCapacity(capacity_tpm=1200, window_seconds=60, now=clock)
    assert ptu.try_admit(300).admitted
    assert ptu.utilization() == pytest.approx(0.25)
    assert ptu.headers() == {UTILIZATION_HEADER: "25.0%"}
    clock.t += 10
    assert ptu.try_admit(900).admitted
    assert ptu.utilization() == pytest.approx(1.0)
    refused = ptu.try_admit(1)
    assert not refused.admitted
    assert refused.limit == "tokens"
    # The first 300 tokens leave 60 s after they were charged: 50 s from now.
    assert refused.retry_after == pytest.approx(50.0)
    clock.t += 50
    assert ptu.utilization() == pytest.approx(0.75)
    assert ptu.try_admit(300).admitted


def test_ptu_capacity_scales_with_the_window() -> None:
    clock = Clock()
    ptu = PtuCapacity(capacity_tpm=600, window_seconds=10, now=clock)  # 100 tokens per window
    assert ptu.try_admit(60).admitted
    assert ptu.utilization() == pytest.approx(0.6)
    refused = ptu.try_admit(41)
    assert not refused.admitted
    assert refused.retry_after == pytest.approx(10.0)
    assert ptu.try_admit(40).admitted


def test_ptu_admits_an_oversized_request_into_an_empty_window() -> None:
    clock = Clock()
    ptu = PtuCapacity(capacity_tpm=100, window_seconds=60, now=clock)
    assert ptu.try_admit(250).admitted
    assert ptu.headers()[UTILIZATION_HEADER] == "250.0%"
    refused = ptu.try_admit(250)
    assert not refused.admitted
    assert refused.retry_after == pytest.approx(60.0)
    clock.t += 60
    assert ptu.try_admit(250).admitted


def test_ptu_clear_empties_the_window() -> None:
    ptu = PtuCapacity(capacity_tpm=100, window_seconds=60, now=Clock())
    ptu.try_admit(100)
    ptu.clear()
    assert ptu.utilization() == 0
    assert ptu.try_admit(100).admitted


def test_payg_enforces_requests_per_minute() -> None:
    clock = Clock()
    payg = PaygLimits(tpm=None, rpm=3, window_seconds=60, now=clock)
    for step in range(3):
        assert payg.try_admit(1).admitted
        clock.t += step + 1  # charges at t0, t0+1, t0+3
    refused = payg.try_admit(1)
    assert not refused.admitted
    assert refused.limit == "requests"
    assert refused.retry_after == pytest.approx(60 - 6)
    assert payg.headers() == {
        "x-ratelimit-limit-requests": "3",
        "x-ratelimit-remaining-requests": "0",
    }


def test_payg_enforces_tokens_and_reports_remaining() -> None:
    clock = Clock()
    payg = PaygLimits(tpm=1000, rpm=100, window_seconds=60, now=clock)
    assert payg.try_admit(400).admitted
    assert payg.headers() == {
        "x-ratelimit-limit-requests": "100",
        "x-ratelimit-remaining-requests": "99",
        "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-tokens": "600",
    }
    clock.t += 15
    refused = payg.try_admit(601)
    assert not refused.admitted
    assert refused.limit == "tokens"
    assert refused.retry_after == pytest.approx(45.0)
    assert payg.utilization() == pytest.approx(0.4)
    # A refused request is not charged.
    assert payg.headers()["x-ratelimit-remaining-requests"] == "99"


def test_payg_refusal_names_the_limit_that_waits_longest() -> None:
    clock = Clock()
    payg = PaygLimits(tpm=100, rpm=2, window_seconds=60, now=clock)
    assert payg.try_admit(10).admitted
    clock.t += 20
    assert payg.try_admit(60).admitted
    refused = payg.try_admit(50)
    # A request slot frees in 40 s (the first leaves), but 50 tokens fit only when both have
    # left, 60 s from now.
    assert refused.limit == "tokens"
    assert refused.retry_after == pytest.approx(60.0)
    refused = payg.try_admit(5)
    assert refused.limit == "requests"
    assert refused.retry_after == pytest.approx(40.0)


def test_payg_without_limits_admits_everything_and_sends_no_headers() -> None:
    payg = PaygLimits(tpm=None, rpm=None, window_seconds=60, now=Clock())
    for _ in range(1000):
        assert payg.try_admit(10_000).admitted
    assert payg.headers() == {}
    assert payg.utilization() == 0


def test_build_limiter_follows_the_kind() -> None:
    ptu = SimDeployment(name="p", kind="ptu", capacity_tpm=10)
    payg = SimDeployment(name="g", tpm=10)
    assert isinstance(build_limiter(ptu, Clock()), PtuCapacity)
    assert isinstance(build_limiter(payg, Clock()), PaygLimits)


@pytest.mark.parametrize(
    ("seconds", "expected_ms", "expected_s"),
    [
        (0.3, "300", "1"),
        (1.0, "1000", "1"),
        (1.0001, "1001", "2"),
        (0.0, "1", "1"),
        (59.5, "59500", "60"),
    ],
)
def test_retry_headers_round_up(seconds: float, expected_ms: str, expected_s: str) -> None:
    assert retry_headers(seconds) == {"retry-after-ms": expected_ms, "Retry-After": expected_s}


def test_utilization_format_matches_azure() -> None:
    assert format_utilization(0.452) == "45.2%"
    assert format_utilization(0) == "0.0%"
