"""What the simulator generates: lengths, words, pacing, embeddings and stream frames."""

from __future__ import annotations

import base64
import math
import random
import struct

import orjson
import pytest

from sluicegate.config.simulator import CompletionSettings, LatencySettings
from sluicegate.simulator.completion import (
    VOCABULARY,
    generate_tokens,
    plan_completion,
    requested_max_tokens,
)
from sluicegate.simulator.embeddings import (
    EmbeddingInputError,
    embed,
    encode_base64,
    input_keys,
    requested_dimensions,
)
from sluicegate.simulator.latency import INSTANT_TOKENS_PER_FRAME, LatencyModel, Pacing
from sluicegate.simulator.payloads import Completion
from sluicegate.simulator.replies import plan_frames
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.sse import DONE, FrameSplitter, event_data


def test_completion_lengths_are_seeded_and_within_the_spread() -> None:
    settings = CompletionSettings(mean_tokens=100, spread=0.2)
    rng_a, rng_b = random.Random(42), random.Random(42)
    draws_a = [plan_completion(rng_a, settings, None).tokens for _ in range(200)]
    draws_b = [plan_completion(rng_b, settings, None).tokens for _ in range(200)]
    assert draws_a == draws_b
    assert all(80 <= n <= 120 for n in draws_a)
    assert len(set(draws_a)) > 10
    assert sum(draws_a) / len(draws_a) == pytest.approx(100, rel=0.05)


def test_zero_spread_gives_the_mean_and_stop() -> None:
    plan = plan_completion(random.Random(1), CompletionSettings(mean_tokens=7, spread=0), None)
    assert (plan.tokens, plan.finish_reason) == (7, "stop")


def test_max_tokens_caps_the_length_and_finishes_with_length() -> None:
    settings = CompletionSettings(mean_tokens=100, spread=0)
    plan = plan_completion(random.Random(1), settings, 10)
    assert (plan.tokens, plan.finish_reason) == (10, "length")
    plan = plan_completion(random.Random(1), settings, 100)
    assert (plan.tokens, plan.finish_reason) == (100, "stop")


def test_forced_length_is_still_capped() -> None:
    settings = CompletionSettings()
    assert plan_completion(random.Random(1), settings, None, forced=3).tokens == 3
    plan = plan_completion(random.Random(1), settings, 5, forced=30)
    assert (plan.tokens, plan.finish_reason) == (5, "length")


def test_requested_max_tokens_prefers_max_completion_tokens() -> None:
    assert requested_max_tokens({"max_tokens": 9}) == 9
    assert requested_max_tokens({"max_completion_tokens": 4, "max_tokens": 9}) == 4
    assert requested_max_tokens({}) is None
    assert requested_max_tokens({"max_tokens": True}) is None


def test_generated_tokens_are_space_and_a_vocabulary_word() -> None:
    tokens = generate_tokens(random.Random(5), 200)
    assert len(tokens) == 200
    assert all(token.startswith(" ") and token[1:] in VOCABULARY for token in tokens)
    assert tokens == generate_tokens(random.Random(5), 200)
    assert len(set(tokens)) > 1


def test_latency_model_grows_with_the_prompt_and_honours_overrides() -> None:
    model = LatencyModel(
        LatencySettings(ttft_ms=100, ttft_ms_per_prompt_token=0.5, tokens_per_second=50)
    )
    pacing = model.pacing(200)
    assert pacing.ttft == pytest.approx(0.2)
    assert pacing.total_seconds(51) == pytest.approx(0.2 + 50 / 50)
    forced = model.pacing(200, ttft_ms=0, tokens_per_second=0)
    assert forced.total_seconds(1000) == 0


def test_unset_rate_means_instant() -> None:
    pacing = LatencyModel(LatencySettings()).pacing(10_000)
    assert pacing.total_seconds(500) == 0
    assert pacing.tokens_per_frame == INSTANT_TOKENS_PER_FRAME
    assert all(offset == 0 for offset, _ in pacing.frames(40))
    assert [count for _, count in pacing.frames(40)] == [16, 16, 8]


def test_slow_rates_send_a_token_per_frame_on_schedule() -> None:
    pacing = Pacing(ttft=0.0, tokens_per_second=10)
    assert pacing.tokens_per_frame == 1
    assert pacing.frames(3) == [(0.0, 1), (pytest.approx(0.1), 1), (pytest.approx(0.2), 1)]


def test_fast_rates_batch_tokens_to_about_a_frame_per_millisecond() -> None:
    pacing = Pacing(ttft=0.0, tokens_per_second=5000)
    assert pacing.tokens_per_frame == 5
    frames = pacing.frames(12)
    assert [count for _, count in frames] == [5, 5, 2]
    assert frames[1][0] == pytest.approx(9 / 5000)


def test_embeddings_are_deterministic_unit_vectors() -> None:
    first = embed(b"hello", 64)
    assert first == embed(b"hello", 64)
    assert first != embed(b"hello!", 64)
    assert len(first) == 64
    assert math.sqrt(sum(x * x for x in first)) == pytest.approx(1.0)


def test_base64_is_little_endian_float32() -> None:
    vector = embed(b"x", 8)
    decoded = struct.unpack("<8f", base64.b64decode(encode_base64(vector)))
    assert decoded == pytest.approx(vector, abs=1e-6)


@pytest.mark.parametrize(
    ("value", "count"),
    [("a", 1), (["a", "b", "c"], 3), ([1, 2, 3], 1), ([[1, 2], [3]], 2)],
)
def test_input_keys_accepts_every_openai_input_shape(value: object, count: int) -> None:
    assert len(input_keys(value)) == count


@pytest.mark.parametrize("value", [[], 5, [{"a": 1}], ["a", 3], None])
def test_input_keys_rejects_other_shapes(value: object) -> None:
    with pytest.raises(EmbeddingInputError, match="'input' must be"):
        input_keys(value)


def test_requested_dimensions_checks_range() -> None:
    assert requested_dimensions({}, 256) == 256
    assert requested_dimensions({"dimensions": 12}, 256) == 12
    with pytest.raises(EmbeddingInputError, match="dimensions"):
        requested_dimensions({"dimensions": 0}, 256)


def _events(stream: bytes) -> list[bytes]:
    splitter = FrameSplitter()
    payloads = [event_data(event) for event in splitter.feed(stream)]
    assert splitter.pending == b""
    return [payload for payload in payloads if payload is not None]


def test_chat_stream_frames_in_order_with_usage() -> None:
    completion = Completion(
        endpoint=Endpoint.CHAT,
        model="m",
        tokens=[" a", " b", " c"],
        finish_reason="stop",
        prompt_tokens=4,
        include_usage=True,
    )
    frames = plan_frames(completion, Pacing(ttft=0, tokens_per_second=1000))
    payloads = _events(b"".join(frame for _, frame in frames))
    assert payloads[-1] == DONE
    chunks = [orjson.loads(payload) for payload in payloads[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    contents = [chunk["choices"][0]["delta"]["content"] for chunk in chunks[1:4]]
    assert contents == [" a", " b", " c"]
    assert chunks[4]["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert chunks[5]["choices"] == []
    assert chunks[5]["usage"] == {"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7}
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert len({chunk["id"] for chunk in chunks}) == 1


def test_completion_stream_without_usage_has_no_usage_frame() -> None:
    completion = Completion(
        endpoint=Endpoint.COMPLETIONS,
        model="m",
        tokens=[" a"],
        finish_reason="length",
        prompt_tokens=1,
    )
    payloads = _events(b"".join(frame for _, frame in plan_frames(completion, Pacing(0, 0))))
    chunks = [orjson.loads(payload) for payload in payloads[:-1]]
    assert [chunk["choices"][0]["text"] for chunk in chunks] == [" a", ""]
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert all("usage" not in chunk for chunk in chunks)
    assert all(chunk["object"] == "text_completion" for chunk in chunks)
