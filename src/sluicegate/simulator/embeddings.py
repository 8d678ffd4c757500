"""Deterministic embeddings: the same text always maps to the same unit vector.

Vectors come from a generator seeded by a hash of the input, so tests can compare them and
caches in front of the simulator see stable answers.
"""

from __future__ import annotations

import array
import base64
import hashlib
import math
import random
import sys
from typing import Any

import orjson

MAX_DIMENSIONS = 8192


class EmbeddingInputError(ValueError):
    """The `input` or `dimensions` of an embeddings request cannot be used."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def input_keys(value: Any) -> list[bytes]:
    """One stable key per input item: a string, a list of strings, tokens, or lists of tokens."""
    if isinstance(value, str):
        return [value.encode()]
    if isinstance(value, list) and value:
        if all(isinstance(item, int) and not isinstance(item, bool) for item in value):
            return [orjson.dumps(value)]
        keys = []
        for item in value:
            if isinstance(item, str):
                keys.append(item.encode())
            elif isinstance(item, list) and all(isinstance(token, int) for token in item):
                keys.append(orjson.dumps(item))
            else:
                break
        else:
            return keys
    raise EmbeddingInputError(
        "'input' must be a string, an array of strings, an array of token ids, "
        "or an array of token-id arrays, and not empty.",
        "input",
    )


def requested_dimensions(body: dict[str, Any], default: int) -> int:
    value = body.get("dimensions")
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DIMENSIONS:
        raise EmbeddingInputError(
            f"'dimensions' must be an integer from 1 to {MAX_DIMENSIONS}.", "dimensions"
        )
    return value


def embed(key: bytes, dimensions: int) -> list[float]:
    """A unit-norm vector determined by `key` alone."""
    seed = int.from_bytes(hashlib.blake2b(key, digest_size=16).digest(), "big")
    rng = random.Random(seed)
    vector = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(math.fsum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


def encode_base64(vector: list[float]) -> str:
    """Little-endian float32, base64: what `encoding_format: base64` returns (and the SDK asks)."""
    packed = array.array("f", vector)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")
