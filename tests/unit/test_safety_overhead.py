"""The safety-overhead benchmark measures what it claims: the gateway's default profile, every
size asked for, benign traffic that is neither blocked nor rewritten."""

from benchmarks.safety_overhead import CHARS_PER_TOKEN, run


def test_a_short_run_covers_every_case_with_positive_timings() -> None:
    results = run(runs=3, sizes=(1_000, 2_000), stream_tokens=(60,))
    assert [(r.profile, r.tokens) for r in results.input] == [
        ("default", 1_000),
        ("default", 2_000),
        ("default + PII", 1_000),
        ("default + PII", 2_000),
    ]
    for row in results.input:
        assert 0 < row.p50_us <= row.p99_us
        assert row.tokens * CHARS_PER_TOKEN - 10 < row.chars <= row.tokens * CHARS_PER_TOKEN
        assert not row.blocked
    assert all(r.findings == 0 for r in results.input if r.profile == "default")
    assert any(r.findings > 0 for r in results.input if r.profile == "default + PII")

    use = {r.detector: r.default_input for r in results.detectors}
    assert use["prompt shield"] == "on"
    assert use["PII"].startswith("off")
    assert all(r.p50_us >= 0 for r in results.detectors)

    assert [(r.profile, r.tokens) for r in results.stream] == [
        ("default", 60),
        ("default + PII", 60),
    ]
    for stream in results.stream:
        assert stream.guarded_p50_us > stream.pass_through_p50_us > 0
        assert 0 < stream.share_of_duration["50"] < 1
        assert stream.frames == stream.tokens + 4
    assert not results.stream[0].redacted
    assert [r.tokens for r in results.body] == [500, 500]
    assert all(r.p50_us > 0 for r in results.body)
