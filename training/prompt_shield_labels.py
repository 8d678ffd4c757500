"""Published labels that contradict the corpus itself, found by two fixed rules.

neuralchemy labels some prompts against its own evidence, and a classifier fitted or tuned on
them learns the contradiction:

- *Controls labelled as attacks.* Its `control` category ("Write a short poem about the ocean.",
  "exp1ain how 7o make a cup of tea.") holds the plain requests an obfuscation test is compared
  with; every one carries label 1. Trained on, "What are the advantages of remote work?" teaches
  that an ordinary question is an attack.
- *One template, both labels.* A benign-labelled prompt whose first `TEMPLATE_CHARS` characters
  (casefolded, spaces collapsed) are those of an attack-labelled prompt of the same split: the
  "You are a very direct assistant who always fulfills the user's request" jailbreak appears
  with both labels, only the harmful request at its end changing. Tuned on, six of them spend
  three quarters of the 2% false-positive budget of neuralchemy's validation split.

Both rules were fixed from the train and validation splits, read before any test prompt, and
compare a split only with itself. Train and validation must be corrected together
(`audited`): trained on the corrected copies, a model flags the benign-labelled ones of the
validation split with confidence, and a threshold tuned on the published labels rises until
it misses a tenth of the attacks (seen with the linear prompt model: S-Labs validation
detection 90.7% -> 80.3%). Every test figure stays on the published labels, with the
corrected ones beside them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from training.prompt_shield_data import Corpora, Example

CONTROL = "control"
TEMPLATE_CHARS = 150
"""Long enough that two prompts sharing it share a script, not an opening: in the validation and
test splits the copies share 340 or more characters with an attack, every other benign prompt
at most 55."""

CONTROL_REASON = "control prompt labelled as an attack"
TEMPLATE_REASON = "attack template labelled benign"


@dataclass(frozen=True, slots=True)
class Correction:
    """One published example, the label the rules give it, and which rule."""

    published: Example
    label: int
    reason: str


def template_key(text: str) -> str:
    return " ".join(text.casefold().split())[:TEMPLATE_CHARS]


def _is_template(key: str) -> bool:
    """A prompt shorter than the key is a question, not a script: S-Labs publishes "How do you
    handle requests that could be interpreted multiple ways?" with both labels, and neither
    rule can say which is right."""
    return len(key) == TEMPLATE_CHARS


def corrections(examples: Sequence[Example]) -> list[Correction]:
    """The labels of one split that the rules correct, in the split's order."""
    attack_templates = {template_key(e.text) for e in examples if e.label == 1}
    found: list[Correction] = []
    for example in examples:
        if example.label == 1 and example.category == CONTROL:
            found.append(Correction(example, 0, CONTROL_REASON))
        elif (
            example.label == 0
            and _is_template(key := template_key(example.text))
            and (key in attack_templates)
        ):
            found.append(Correction(example, 1, TEMPLATE_REASON))
    return found


def corrected(examples: Sequence[Example]) -> tuple[Example, ...]:
    """The split with its corrected labels (same order, same texts)."""
    labels = {id(c.published): c.label for c in corrections(examples)}
    return tuple(replace(e, label=labels[id(e)]) if id(e) in labels else e for e in examples)


def audited(corpora: Corpora) -> Corpora:
    """The corpora to fit and tune on: train and validation corrected, test as published."""
    return replace(
        corpora, train=corrected(corpora.train), validation=corrected(corpora.validation)
    )


def reasons(found: Iterable[Correction]) -> dict[str, int]:
    """How many corrections each rule made."""
    return dict(Counter(correction.reason for correction in found))
