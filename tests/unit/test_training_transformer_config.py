"""The training command line changes only what it names in the shipped configuration."""

from __future__ import annotations

import pytest
from training.prompt_shield_transformer import TrainConfig, arguments, train_config


def test_no_options_train_the_shipped_configuration() -> None:
    assert train_config(arguments([])) == TrainConfig()


def test_rank_keeps_alpha_so_the_updates_keep_their_size() -> None:
    config = train_config(arguments(["--rank", "64", "--epochs", "2"]))
    assert (config.rank, config.alpha, config.epochs) == (64, TrainConfig().alpha, 2.0)
    assert config.targets == TrainConfig().targets


def test_a_rank_below_one_is_refused_with_the_reason() -> None:
    with pytest.raises(SystemExit, match="rank must be 1 or more"):
        train_config(arguments(["--rank", "0"]))
