"""Padded copies of labelled prompts: each put mid-sentence into benign carrier prose.

An attack dropped into the middle of a pasted page is diluted by the words around it, and a
model that has only seen prompts alone misses it. Training on copies padded with benign text of
*another* kind (the training half of the background documents) teaches it that a few words of
instruction inside prose still decide the label, without touching the prose the report pads its
test attacks with (`benchmarks.prompt_shield.PROSE`).
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence

SHARE = 0.5
"""Share of the labelled prompts that get a padded copy (chosen by a hash of the text)."""
BEFORE = (10, 50)
AFTER = (10, 40)
"""Carrier words put before and after the prompt: the copy stays inside the 128 tokens the
model is trained on for a short prompt, and a long one is still read from near its start."""


def padded_copy(text: str, carriers: Sequence[str]) -> str | None:
    """`text` mid-sentence between words of `carriers`, or None when it is not chosen for a
    copy (or there is nothing to pad with). The same text is always padded the same way."""
    rng = random.Random(zlib.crc32(text.encode("utf-8", "surrogatepass")))
    if not carriers or rng.random() >= SHARE:
        return None
    before, after = rng.randint(*BEFORE), rng.randint(*AFTER)
    words: list[str] = []
    for _ in range(before + after):  # each pick adds a word unless its carrier is blank
        if len(words) >= before + after:
            break
        words.extend(rng.choice(carriers).split())
    return " ".join([*words[:before], text.strip(), *words[before : before + after]])
