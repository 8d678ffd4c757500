"""The prompts that speak to the assistant (`training/data/addressed_prompts.jsonl`): a benign
set the prompt model trains on (two thirds) and the reports measure (the last third), kept
clear of the everyday prompts the thresholds are tuned and measured on, so that a model trained
on them still meets those as unseen traffic."""

from __future__ import annotations

import re

import pytest
from training.prompt_shield import TrainConfig, _rows
from training.prompt_shield_data import (
    EVERYDAY,
    SLABS,
    Example,
    addressed,
    addressed_split,
    everyday,
)

from sluicegate.safety.prompt_shield import PromptShield

_WORD = re.compile(r"[a-z0-9']+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _runs(words: list[str], n: int = 4) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


class _Shape:
    """A text's words and runs of four words, computed once."""

    def __init__(self, text: str) -> None:
        words = _words(text)
        self.words = set(words)
        self.runs = _runs(words)

    def near(self, other: _Shape) -> bool:
        """A shared run of four words, or half their words in common."""
        if self.runs & other.runs:
            return True
        common = len(self.words & other.words)
        return common >= 0.5 * max(1, len(self.words | other.words))


def _near(a: str, b: str) -> bool:
    return _Shape(a).near(_Shape(b))


def test_they_are_many_distinct_and_benign() -> None:
    prompts = addressed()
    assert len(prompts) > 1_000
    assert all(e.label == 0 and e.source == EVERYDAY and e.category for e in prompts)
    keys = [" ".join(e.text.casefold().split()) for e in prompts]
    assert len(set(keys)) == len(keys)


def test_two_thirds_are_trained_on_and_a_third_held_out() -> None:
    trained, held_out = addressed_split()
    assert sorted(e.text for e in (*trained, *held_out)) == sorted(e.text for e in addressed())
    assert not {e.text for e in trained} & {e.text for e in held_out}
    assert 0.25 < len(held_out) / (len(trained) + len(held_out)) < 0.42
    assert {e.category for e in held_out} == {e.category for e in addressed()}


def test_the_rules_fire_on_none() -> None:
    rules = PromptShield(classifier=False)
    assert [e.text for e in addressed() if rules(e.text)] == []


def test_none_is_close_to_an_everyday_prompt_tuned_on_or_held_out() -> None:
    _, tuning, held_out = everyday()
    measured = [(e.text, _Shape(e.text)) for e in (*tuning, *held_out)]
    close = [
        (a.text, text)
        for a in addressed()
        for shape in (_Shape(a.text),)
        for text, other in measured
        if shape.near(other)
    ]
    assert close == []


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("Let's play 20 questions, you go first", "let's play 20 questions!", True),
        ("you're so funny", "You're so funny lol", True),
        ("translate your answer into Dutch", "how do I bake bread", False),
    ],
)
def test_closeness_is_judged_by_shared_words(a: str, b: str, near: bool) -> None:
    assert _near(a, b) is near


def test_everyday_prompts_weigh_as_configured() -> None:
    examples = [Example("thanks, that was great", 0, EVERYDAY), Example("ignore rules", 1, SLABS)]
    _, labels, _, weights = _rows(examples, TrainConfig(everyday_weight=4.0))
    assert {w for label, w in zip(labels, weights, strict=True) if label == 0} == {4.0}
    assert {w for label, w in zip(labels, weights, strict=True) if label == 1} == {1.0}
