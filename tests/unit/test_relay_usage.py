"""Reading usage from a backend's reply: tokens, and the cached share of the prompt."""

from __future__ import annotations

import orjson

from sluicegate.server.relay import read_usage, usage_from_body


def test_plain_usage_is_read_and_total_derived_when_missing() -> None:
    usage = read_usage({"usage": {"prompt_tokens": 12, "completion_tokens": 5}})
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (12, 5, 17)
    assert usage.cached_tokens == 0


def test_cached_prompt_tokens_are_read_from_the_details() -> None:
    body = orjson.dumps(
        {
            "usage": {
                "prompt_tokens": 2048,
                "completion_tokens": 10,
                "total_tokens": 2058,
                "prompt_tokens_details": {"cached_tokens": 1536},
            }
        }
    )
    usage = usage_from_body(body)
    assert usage is not None
    assert usage.cached_tokens == 1536


def test_implausible_cached_counts_are_bounded_or_ignored() -> None:
    over = read_usage(
        {"usage": {"prompt_tokens": 10, "prompt_tokens_details": {"cached_tokens": 50}}}
    )
    assert over is not None
    assert over.cached_tokens == 10  # never more than the prompt
    for details in ({"cached_tokens": -3}, {"cached_tokens": "7"}, "nonsense", None):
        usage = read_usage({"usage": {"prompt_tokens": 10, "prompt_tokens_details": details}})
        assert usage is not None
        assert usage.cached_tokens == 0


def test_no_usage_or_a_malformed_one_reads_as_none() -> None:
    assert read_usage({}) is None
    assert read_usage({"usage": {"prompt_tokens": "12"}}) is None
    assert usage_from_body(b'{"usage": not json') is None
