"""How the linear prompt-shield trainer picks among its candidates: a model that would flag a
single word as a whole prompt is not eligible, however much it detects, unless its threshold
is held above every word (the prompt model's word floor)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from training.prompt_shield import (
    DOCUMENT_GRID,
    PROMPT_GRID,
    TrainConfig,
    Tuning,
    config_of,
    loudest_probability,
    loudest_word,
    select,
    training_set,
    tune,
)
from training.prompt_shield_data import SLABS, Corpora, Example

from sluicegate.safety.classifier import LinearModel, sigmoid


def _model(weight: float, *, prior: float, threshold: float) -> LinearModel:
    return LinearModel(
        weights={b"restrictions": weight, b"hello": -1.0, (b"ignore", b"rules"): 9.0},
        intercept=-2.0,
        prior=prior,
        threshold=threshold,
    )


def test_a_word_whose_margin_alone_reaches_the_threshold_is_named() -> None:
    model = _model(60.0, prior=16.0, threshold=0.7)
    # margin alone: -2 + 60 / 17 = 1.53, over the threshold's 0.85
    assert model.margin_of([b"restrictions"]) > math.log(0.7 / 0.3)
    assert loudest_word(model) == "restrictions"


def test_a_larger_prior_keeps_the_same_word_below_it() -> None:
    model = _model(60.0, prior=64.0, threshold=0.7)  # -2 + 60 / 65 = -1.08
    assert loudest_word(model) == ""


def test_bigrams_are_no_single_word() -> None:
    model = LinearModel(weights={(b"ignore", b"rules"): 500.0}, intercept=-2.0, threshold=0.5)
    assert loudest_word(model) == ""


def _benign(*texts: str) -> tuple[Example, ...]:
    return tuple(Example(text, 0, SLABS) for text in texts)


def test_the_word_floor_lifts_the_prompt_threshold_above_every_single_word() -> None:
    model = _model(60.0, prior=16.0, threshold=0.5)
    validation = _benign("hello there", "hello hello friend", "good morning")
    tuning = Tuning(validation, np.zeros(len(validation), dtype=bool), ())
    plain = tune(model, tuning)
    assert loudest_word(plain) == "restrictions"  # tuned on benign prompts alone, it would fire
    floored = tune(model, tuning.floored(TrainConfig(word_floor=True)))
    assert floored.threshold == math.nextafter(loudest_probability(model), 1.0)
    assert loudest_word(floored) == ""
    assert floored.document_threshold >= floored.threshold


def test_the_loudest_probability_is_what_the_word_scores_alone() -> None:
    model = _model(60.0, prior=16.0, threshold=0.5)
    assert loudest_probability(model) == sigmoid(-2.0 + 60.0 / 17.0)
    assert loudest_probability(LinearModel({}, intercept=-2.0)) == sigmoid(-2.0)


def test_a_model_is_for_the_prompt_or_the_document_shield() -> None:
    corpora = Corpora((), (), (), ())
    with pytest.raises(ValueError, match="prompt"):
        select(corpora, "documents")


def test_only_the_prompt_models_train_on_the_prompts_that_speak_to_the_assistant() -> None:
    corpora = Corpora(
        _benign("train"), (), (), (), addressed=_benign("you nailed it"), everyday=_benign("hi")
    )
    assert training_set(corpora, TrainConfig()) == corpora.training
    assert training_set(corpora, TrainConfig(addressed=True)) == (
        *corpora.training,
        *corpora.addressed,
    )
    assert all(c.addressed and c.word_floor for c in PROMPT_GRID)
    assert not any(c.addressed or c.word_floor for c in DOCUMENT_GRID)
    restored = LinearModel({}, metadata={"config": {"addressed": True, "word_floor": True}})
    assert config_of(restored).addressed
    assert config_of(restored).word_floor
