"""Choosing a version for a traffic split: sticky per key, proportional across keys."""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter

import pytest

from sluicegate.prompts.split import choose_version, sticky_point

USERS = 10_000
# 90/10 over 10,000 independent users: the count on the 10% side is Binomial(10000, 0.1),
# mean 1000, standard deviation sqrt(10000 * 0.1 * 0.9) = 30. Four deviations (±120) is
# exceeded with probability about 6e-5; the sticky hash is deterministic anyway, so this bound
# states how far from the weights a sound hash may land, not a flaky margin.
MEAN = USERS * 0.1
SIGMA = math.sqrt(USERS * 0.1 * 0.9)
TOLERANCE = 4 * SIGMA


def keys() -> list[str]:
    return [f"user-{i}:support-bot:production" for i in range(USERS)]


def test_tolerance_is_what_the_comment_says() -> None:
    assert SIGMA == 30.0
    assert TOLERANCE == 120.0


def test_sticky_choices_follow_the_weights() -> None:
    rng = random.Random(1)
    counts = Counter(choose_version([(1, 90), (2, 10)], key, rng) for key in keys())
    assert set(counts) == {1, 2}
    assert abs(counts[2] - MEAN) <= TOLERANCE
    assert counts[1] + counts[2] == USERS


def test_random_choices_follow_the_weights() -> None:
    rng = random.Random(20240501)
    counts = Counter(choose_version([(1, 90), (2, 10)], None, rng) for _ in range(USERS))
    assert abs(counts[2] - MEAN) <= TOLERANCE


def test_one_key_always_gets_one_version_whatever_the_rng() -> None:
    for key in keys()[:200]:
        chosen = {choose_version([(1, 50), (2, 50)], key, random.Random(seed)) for seed in range(5)}
        assert len(chosen) == 1


def test_the_order_of_the_targets_does_not_matter() -> None:
    rng = random.Random(0)
    for key in keys()[:500]:
        forward = choose_version([(1, 70), (2, 20), (3, 10)], key, rng)
        backward = choose_version([(3, 10), (2, 20), (1, 70)], key, rng)
        assert forward == backward


def test_moving_weight_moves_only_the_users_in_the_slice_that_changed_hands() -> None:
    rng = random.Random(0)
    before = {key: choose_version([(1, 90), (2, 10)], key, rng) for key in keys()}
    after = {key: choose_version([(1, 80), (2, 20)], key, rng) for key in keys()}
    assert not [key for key in keys() if before[key] == 2 and after[key] == 1]
    moved = sum(1 for key in keys() if before[key] == 1 and after[key] == 2)
    # The slice [0.8, 0.9) of the hash range: Binomial(10000, 0.1) again.
    assert abs(moved - MEAN) <= TOLERANCE


def test_the_hash_is_blake2b_placed_on_the_cumulative_weights() -> None:
    # Pinned: changing the hash would reshuffle every user between versions.
    key = "user-42:support-bot:production"
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    fraction = int.from_bytes(digest, "big") / 2**64
    assert sticky_point(key, 100) == math.floor(fraction * 100)
    expected = 1 if fraction < 0.9 else 2
    assert choose_version([(1, 90), (2, 10)], key, random.Random(0)) == expected


def test_a_single_target_is_always_chosen() -> None:
    assert choose_version([(7, 1)], "anyone", random.Random(0)) == 7
    assert choose_version([(7, 1)], None, random.Random(0)) == 7


@pytest.mark.parametrize(
    ("targets", "fragment"),
    [
        ([], "at least one target"),
        ([(1, 0)], "weights are integers > 0"),
        ([(1, -5)], "weights are integers > 0"),
        ([(1, True)], "weights are integers > 0"),
        ([(1, 2.5)], "weights are integers > 0"),
        ([(1, 5), (1, 5)], "same version twice"),
    ],
)
def test_bad_targets_are_refused(targets: list[tuple[int, int]], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        choose_version(targets, "k", random.Random(0))
