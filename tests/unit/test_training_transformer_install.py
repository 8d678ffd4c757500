"""Training the transformer tier needs peft, which `make` does not install: without it, the
trainer says what to install instead of failing on the bare module name."""

from __future__ import annotations

import sys

import pytest
from training.prompt_shield_data import Corpora
from training.prompt_shield_transformer import TrainConfig, fit


def test_training_without_peft_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "peft", None)  # what an absent package looks like to import
    with pytest.raises(ModuleNotFoundError, match=r"needs peft: pip install .*train-transformer"):
        fit(Corpora((), (), (), ()), TrainConfig(), print)
