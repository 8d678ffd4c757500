"""Text normalisation shared by the string metrics.

SQuAD normalisation is the one of the official SQuAD v1.1 evaluation script, step for step:
lowercase, drop ASCII punctuation (`string.punctuation`), drop the articles a/an/the as whole
words, collapse whitespace. The finer options of exact match are Unicode-aware instead.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable
from typing import Literal

Normalization = Literal["case", "whitespace", "punctuation", "squad"]
NORMALIZATIONS: tuple[Normalization, ...] = ("case", "whitespace", "punctuation", "squad")

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_ASCII_PUNCTUATION = frozenset(string.punctuation)


def squad_normalize(text: str) -> str:
    """lower → remove punctuation → remove articles → collapse whitespace (SQuAD v1.1)."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _ASCII_PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def squad_tokens(text: str) -> list[str]:
    """The tokens SQuAD's F1 counts: the normalised text split on whitespace."""
    return squad_normalize(text).split()


def strip_punctuation(text: str) -> str:
    """Remove every character of a Unicode punctuation category (P*): . , ; ! ? « » “ ” …"""
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))


def normalize(text: str, options: Iterable[Normalization]) -> str:
    """Apply the chosen options; surrounding whitespace is always stripped.

    case: Unicode case folding (ß = ss). whitespace: runs of whitespace become one space.
    punctuation: Unicode punctuation is removed. squad: the full SQuAD v1.1 normalisation.
    Options apply in the order punctuation, case, whitespace; squad runs last.
    """
    chosen = set(options)
    if "punctuation" in chosen:
        text = strip_punctuation(text)
    if "case" in chosen:
        text = text.casefold()
    if "whitespace" in chosen:
        text = " ".join(text.split())
    if "squad" in chosen:
        text = squad_normalize(text)
    return text.strip()
