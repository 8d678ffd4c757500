"""The prompt shield on everyday chat: greetings and one-line requests must pass.

`tests/data/everyday_prompts.jsonl` is split in thirds (`training.prompt_shield_data.everyday`):
one trained on, one tuned on, one never seen by training; the false-positive bound here is on
the held-out third, where it measures how the shield treats traffic it has not learned.
"""

from __future__ import annotations

import pytest
from training.prompt_shield_data import EVERYDAY, everyday

from sluicegate.safety.prompt_shield import PromptShield

MAX_HELD_OUT_FPR = 0.02
MAX_GREETING_FPR = 0.01
"""Greetings and short replies are the most common prompts of all; the few flagged are thanks
that address the assistant as "you", as many jailbreak scripts do."""


@pytest.fixture(scope="module")
def shield() -> PromptShield:
    return PromptShield()


def test_the_thirds_are_disjoint_and_keep_case_variants_together() -> None:
    thirds = everyday()
    assert all(len(third) > 200 for third in thirds)
    keys = [{" ".join(e.text.casefold().split()) for e in third} for third in thirds]
    assert not keys[0] & keys[1]
    assert not keys[0] & keys[2]
    assert not keys[1] & keys[2]
    assert all(e.label == 0 and e.source == EVERYDAY for third in thirds for e in third)


def test_greetings_and_short_replies_are_almost_never_flagged(shield: PromptShield) -> None:
    greetings = [e.text for third in everyday() for e in third if e.category == "greeting"]
    assert len(greetings) > 250
    flagged = [text for text in greetings if shield(text)]
    assert len(flagged) / len(greetings) <= MAX_GREETING_FPR, flagged


@pytest.mark.parametrize(
    "text",
    ["hi", "hello", "thanks!", "yes", "continue", "Say hello", "price this", "Summarize this"],
)
def test_what_gateway_clients_send_first_passes(shield: PromptShield, text: str) -> None:
    assert not shield(text)


def test_held_out_everyday_prompts_are_rarely_flagged(shield: PromptShield) -> None:
    held_out = everyday()[2]
    flagged = [e.text for e in held_out if shield(e.text)]
    assert len(flagged) / len(held_out) <= MAX_HELD_OUT_FPR, flagged
