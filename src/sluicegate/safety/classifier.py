"""The prompt-shield classifier: a linear model over word uni- and bigrams, in pure Python.

Features are a text's tokens and adjacent token pairs, counted once per block of `block` tokens
(presence, not frequency: a page that says "admin" forty times is not forty times as suspicious).
A window is two adjacent blocks; its margin is the intercept plus the sum of the weights of its
features (idf folded into each weight at training time) divided by its number of feature
positions plus a fixed `prior`: a mean that makes windows of any text comparable, shrunk toward
the intercept for short texts, so that one word ("hi", "thanks") never carries a verdict alone.
Long texts are scored window by window and the highest margin decides, so pages of filler
cannot dilute an attack. Unknown features weigh nothing, so text with no evidence scores the
intercept, well under the threshold.

The prompt and document shields each have their own model file. `training/prompt_shield.py`
builds both with scikit-learn from `tokens` and
`window_features`, so training and serving cannot drift apart (tests check they agree).
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "DOCUMENT_MODEL_PATH",
    "FORMAT",
    "MODEL_PATH",
    "Feature",
    "LinearModel",
    "feature_name",
    "foreign",
    "load_model",
    "sigmoid",
    "tokens",
    "window_features",
]

FORMAT = "sluicegate.prompt_shield.linear/2"
MODEL_PATH = Path(__file__).with_name("models") / "prompt_shield.json.gz"
"""The prompt shield's model."""
DOCUMENT_MODEL_PATH = MODEL_PATH.with_name("document_shield.json.gz")
"""The document shield's: trained without the benign prompts that speak to the assistant, since
in a retrieved page or tool result text addressed to the assistant is the mark of an injection,
where in a user's prompt it is ordinary."""

_SEPARATORS = frozenset(b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") | frozenset(range(0x21))
_TOKEN_BYTES = bytes(0x20 if byte in _SEPARATORS else byte for byte in range(256))
"""ASCII punctuation, controls and space all become spaces; every other byte stays."""


_UNICODE_SEPARATORS = re.compile(
    rb"\xc2[\xa1-\xbf]|\xc3[\x97\xb7]|\xe2(?:[\x80\x81\x86-\x8f\x94-\x9e\xb8\xb9][\x80-\xbf])"
    rb"|\xe3\x80[\x80-\xbf]|\xef(?:\xb8[\xb0-\xbf]|\xb9[\x80-\xaf]|\xbc[\x80-\x8f])"
)
"""Punctuation, arrows, box drawing and spaces outside ASCII (curly quotes, dashes, CJK marks:
U+00A1–00BF, ×, ÷, U+2000–206F, U+2180–23FF, U+2500–27BF, U+2E00–2E7F, U+3000–303F,
U+FE30–FE6F, U+FF00–FF0F), matched in UTF-8 where every alternative starts with a rare byte."""


def tokens(text: str) -> list[bytes]:
    """Words of an already normalised (casefolded) text, as UTF-8 byte strings.

    Bytes rather than str because `bytes.translate` + `split` tokenise any script at C speed,
    where a regex or `str.translate` costs ten to fifty times more per character.
    """
    data = text.encode("utf-8", "replace")
    if not text.isascii():
        data = _UNICODE_SEPARATORS.sub(b" ", data)
    return data.translate(_TOKEN_BYTES).split()


_ENGLISH = frozenset(
    b"the of and to in is are was were be you your it that this for on with as at by from or an "
    b"what how why when me my i we our can do not all will would should have has".split()
)
_FOREIGN = frozenset(
    # German, French, Spanish, Italian, Portuguese function words that are not English words.
    b"der das und ist nicht ein eine zu den dem des mit sich auf f\xc3\xbcr von wie sie ich du "
    b"bitte oder auch noch nur wird werden kann les est une et pas pour dans que qui sur avec ce "
    b"cette vous je mes ton ta sont el los las una por para con del lo como mi su pero muy "
    b"est\xc3\xa1 che di non della sono gli \xc3\xa8 il os n\xc3\xa3o uma com \xc3\xa9 do da "
    b"dos das em voc\xc3\xaa seu sua la le en es un al tus sus todas todos alle alles mir mich "
    b"dir dein deine ihr ihre tous toutes tout".split()
)
MIN_FOREIGN_WORDS = 2


def foreign(words: list[bytes]) -> bool:
    """Whether the words read as German, French, Spanish, Italian or Portuguese rather than
    English: at least two distinct function words of those languages, more than English ones.

    The classifier learned English only; on other languages its few known words are mostly
    attack vocabulary, so it abstains there and leaves them to the rules.
    """
    found = len(_FOREIGN.intersection(words))
    return found >= MIN_FOREIGN_WORDS and found > len(_ENGLISH.intersection(words))


Feature = bytes | tuple[bytes, bytes]
"""A unigram (`b"word"`) or a bigram (`(b"first", b"second")`)."""


def _blocks(words: list[bytes], block: int) -> list[tuple[set[Feature], int]]:
    """Each block's distinct features and its number of feature positions.

    A bigram belongs to the block of its first word, so the last word of a block still pairs
    with the first of the next.
    """
    out: list[tuple[set[Feature], int]] = []
    for start in range(0, len(words), block):
        unigrams = words[start : start + block]
        following = words[start + 1 : start + block + 1]
        features: set[Feature] = set(unigrams)
        features.update(zip(unigrams, following, strict=False))
        out.append((features, len(unigrams) + len(following)))
    return out


def window_features(words: list[bytes], block: int) -> list[tuple[list[Feature], int]]:
    """The windows the model scores, each as its features (a feature present in both of a
    window's blocks appears twice) and its number of feature positions. Used for training."""
    blocks = _blocks(words, block)
    if len(blocks) <= 2:
        return [([f for features, _ in blocks for f in features], sum(p for _, p in blocks))]
    return [
        ([*first, *second], first_positions + second_positions)
        for (first, first_positions), (second, second_positions) in pairwise(blocks)
    ]


def sigmoid(margin: float) -> float:
    """Log-odds to probability, without overflow at either end."""
    if margin >= 0:
        return 1.0 / (1.0 + math.exp(-margin))
    exp = math.exp(margin)
    return exp / (1.0 + exp)


def _key(feature: str) -> Feature:
    """A feature from its name in the model file (`"word"` or `"first second"`)."""
    first, space, second = feature.partition(" ")
    if space:
        return first.encode("utf-8", "surrogatepass"), second.encode("utf-8", "surrogatepass")
    return first.encode("utf-8", "surrogatepass")


def feature_name(feature: Feature) -> str:
    """How a feature is written in the model file."""
    if isinstance(feature, tuple):
        return b" ".join(feature).decode("utf-8", "surrogatepass")
    return feature.decode("utf-8", "surrogatepass")


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Weights per feature (idf folded in), intercept, block size and tuned thresholds."""

    weights: Mapping[Feature, float]
    intercept: float = 0.0
    block: int = 64
    """Tokens per block; a window is two blocks, and windows step by one block."""
    threshold: float = 0.5
    """Probability at or above which a prompt is a jailbreak (tuned on validation)."""
    document_threshold: float = 0.5
    """The stricter threshold for documents and tool results."""
    prior: float = 0.0
    """Feature positions added to every window's count (see the module docstring)."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    _known: frozenset[Feature] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.block < 1:
            raise ValueError(f"a block holds at least one token, not {self.block}")
        object.__setattr__(self, "_known", frozenset(self.weights))

    @property
    def window(self) -> int:
        return 2 * self.block

    def margin(self, text: str) -> float:
        """Log-odds of the highest-scoring window of a normalised text."""
        return self.margin_of(tokens(text))

    def margin_of(self, words: list[bytes]) -> float:
        """`margin` of a text already split by `tokens` (callers that also need the words);
        minus infinity when the classifier abstains (`foreign` text)."""
        if not words:
            return self.intercept
        if foreign(words):
            return -math.inf
        known = self._known
        get = self.weights.__getitem__
        block = self.block
        sums: list[float] = []
        positions: list[int] = []
        for start in range(0, len(words), block):
            unigrams = words[start : start + block]
            following = words[start + 1 : start + block + 1]
            sums.append(
                sum(map(get, known.intersection(unigrams)))
                + sum(map(get, known.intersection(zip(unigrams, following, strict=False))))
            )
            positions.append(len(unigrams) + len(following))
        prior = self.prior
        if len(sums) <= 2:
            return self.intercept + sum(sums) / (sum(positions) + prior)
        best = max(
            (a + b) / (p + q + prior)
            for a, b, p, q in zip(sums, sums[1:], positions, positions[1:], strict=False)
        )
        return self.intercept + best

    def score(self, text: str) -> float:
        """Probability 0..1 that a normalised text is an attack (its worst window)."""
        return sigmoid(self.margin(text))

    def to_json(self) -> bytes:
        """The model file's content (before gzip): sorted, so equal models give equal bytes."""
        return orjson.dumps(
            {
                "format": FORMAT,
                "block": self.block,
                "intercept": self.intercept,
                "threshold": self.threshold,
                "document_threshold": self.document_threshold,
                "prior": self.prior,
                "metadata": self.metadata,
                "weights": {feature_name(k): v for k, v in self.weights.items()},
            },
            option=orjson.OPT_SORT_KEYS,
        )

    @classmethod
    def from_json(cls, data: bytes) -> LinearModel:
        doc = orjson.loads(data)
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model: {doc.get('format')!r}")
        return cls(
            weights={_key(k): float(v) for k, v in doc["weights"].items()},
            intercept=float(doc["intercept"]),
            block=int(doc["block"]),
            threshold=float(doc["threshold"]),
            document_threshold=float(doc["document_threshold"]),
            prior=float(doc.get("prior", 0.0)),
            metadata=doc.get("metadata", {}),
        )


def load_model(path: Path | None = None) -> LinearModel:
    """Read a gzipped model file (the prompt shield's by default); call once, at construction."""
    return LinearModel.from_json(gzip.decompress((path or MODEL_PATH).read_bytes()))
