"""The benchmark load generator's arithmetic and its guard rails."""

import pytest
from benchmarks.loadgen import LoadSpec, Percentiles


def test_nearest_rank_percentiles_in_milliseconds() -> None:
    samples = [i / 1000 for i in range(1, 101)]  # 1 ms .. 100 ms
    stats = Percentiles.of(samples)
    assert stats is not None
    assert (stats.count, stats.p50, stats.p90, stats.p99, stats.max) == (100, 50, 90, 99, 100)
    assert stats.mean == pytest.approx(50.5)
    assert Percentiles.of([]) is None


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.5:8080/v1/chat/completions", "http://example.com/v1/chat/completions"],
)
def test_load_is_only_aimed_at_this_machine(url: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        LoadSpec(url=url)


@pytest.mark.parametrize(
    ("field", "value"),
    [("rate", 0.0), ("concurrency", 0), ("duration_s", 0.0), ("warmup_s", -1.0)],
)
def test_out_of_range_settings_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        LoadSpec(url="http://127.0.0.1:1/v1/chat/completions", **{field: value})  # type: ignore[arg-type]


def test_open_and_closed_loop() -> None:
    url = "http://127.0.0.1:1/x"
    assert LoadSpec(url=url, rate=10).mode == "open"
    assert LoadSpec(url=url).mode == "closed"
