"""How the linear prompt-shield trainer picks among its candidates: a model that would flag a
single word as a whole prompt is not eligible, however much it detects."""

from __future__ import annotations

import math

from training.prompt_shield import loudest_word

from sluicegate.safety.classifier import LinearModel


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
