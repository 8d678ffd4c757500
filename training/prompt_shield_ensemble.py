"""Would the two prompt-shield tiers do better together? Scores every validation and test prompt
with both (the rules too), tunes each combination on the validation splits under the shipped
limits (≤ 2% false positives per corpus, ≤ 1% on the everyday tuning third) and prints its
detection on the test splits:

    .venv/bin/python -m training.prompt_shield_ensemble [--corrected-labels]

With `--corrected-labels` the validation labels are those the linear tier is tuned on
(`training.prompt_shield_labels`); by default, the published ones the transformer tier is
tuned on. Test labels are always the published ones.

Combinations: each tier alone; either tier over its own threshold (both thresholds searched on
a grid); and a logistic regression on both tiers' log-odds, fitted on one half of the
validation prompts and tuned on the other. About two minutes on two cores; needs the `train`
and `shield-model` extras.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from sluicegate.safety.prompt_shield import PromptShield
from sluicegate.safety.transformer_shield import TransformerPromptShield
from training.prompt_shield_data import NEURALCHEMY, SLABS, Example, load_corpora
from training.prompt_shield_labels import audited

SOURCES = (SLABS, NEURALCHEMY)
MAX_FPR = 0.02
MAX_EVERYDAY_FPR = 0.01
GRID = np.linspace(0.3, 1.0, 141)
"""Quantiles of the validation scores tried as thresholds for the either-tier rule."""


@dataclass(frozen=True, slots=True)
class Scored:
    """One split: where each prompt comes from, its label, the rules' verdict and both scores."""

    source: np.ndarray
    label: np.ndarray
    rules: np.ndarray
    linear: np.ndarray
    transformer: np.ndarray


def score(examples: Sequence[Example]) -> Scored:
    linear, rules = PromptShield(), PromptShield(classifier=False)
    transformer = TransformerPromptShield()
    return Scored(
        np.array([e.source for e in examples]),
        np.array([e.label for e in examples]),
        np.array([bool(rules(e.text).findings) for e in examples]),
        np.array([linear.score(e.text) for e in examples]),
        np.array(transformer.scores([e.text for e in examples])),
    )


Rule = Callable[[Scored], np.ndarray]


def within_limits(rule: Rule, validation: Scored, everyday: Scored) -> bool:
    flagged = rule(validation)
    for source in SOURCES:
        benign = (validation.source == source) & (validation.label == 0)
        if flagged[benign].mean() > MAX_FPR:
            return False
    return bool(rule(everyday).mean() <= MAX_EVERYDAY_FPR)


def either(transformer: float, linear: float) -> Rule:
    return lambda s: s.rules | (s.transformer >= transformer) | (s.linear >= linear)


def lowest(rule_at: Callable[[float], Rule], scores: np.ndarray, v: Scored, e: Scored) -> Rule:
    """The rule at the lowest threshold within the limits."""
    for threshold in np.sort(np.unique(scores)):
        if within_limits(rule_at(float(threshold)), v, e):
            return rule_at(float(threshold))
    return rule_at(2.0)


def best_either(v: Scored, e: Scored) -> Rule:
    """The pair of thresholds with the most validation attacks detected, within the limits."""
    best, chosen = -1.0, either(2.0, 2.0)
    for t in np.quantile(v.transformer, GRID):
        for lin in np.quantile(v.linear, GRID):
            rule = either(float(t), float(lin))
            if within_limits(rule, v, e):
                detected = float(rule(v)[v.label == 1].mean())
                if detected > best:
                    best, chosen = detected, rule
    return chosen


def _features(s: Scored) -> np.ndarray:
    def logit(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-6, 1 - 1e-6)
        return np.asarray(np.log(p / (1 - p)))

    t, lin = logit(s.transformer), logit(s.linear)
    return np.asarray(np.c_[t, lin, t * lin])


def _subset(s: Scored, keep: np.ndarray) -> Scored:
    return Scored(s.source[keep], s.label[keep], s.rules[keep], s.linear[keep], s.transformer[keep])


def stacked(v: Scored, e: Scored) -> Rule:
    half = np.arange(len(v.label)) % 2 == 0
    model = LogisticRegression().fit(_features(v)[half], v.label[half])

    def at(threshold: float) -> Rule:
        return lambda s: s.rules | (model.predict_proba(_features(s))[:, 1] >= threshold)

    tuning = _subset(v, ~half)
    return lowest(at, model.predict_proba(_features(tuning))[:, 1], tuning, e)


def row(name: str, rule: Rule, test: Scored, held_out: Scored) -> str:
    flagged = rule(test)
    cells = []
    for source in SOURCES:
        attacks = (test.source == source) & (test.label == 1)
        benign = (test.source == source) & (test.label == 0)
        cells.append(f"{flagged[attacks].mean():.1%} | {flagged[benign].mean():.2%}")
    return f"| {name} | {' | '.join(cells)} | {rule(held_out).mean():.1%} |"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--corrected-labels",
        action="store_true",
        help="tune on the validation labels training.prompt_shield_labels corrects",
    )
    args = parser.parse_args(argv)
    corpora = audited(load_corpora()) if args.corrected_labels else load_corpora()
    v, test = score(corpora.validation), score(corpora.test)
    e, held = score(corpora.everyday_validation), score(corpora.everyday_held_out)
    print(
        f"| tiers | {SLABS} detected | {SLABS} benign flagged | {NEURALCHEMY} detected "
        f"| {NEURALCHEMY} benign flagged | everyday held out flagged |\n"
        "|---|---:|---:|---:|---:|---:|"
    )
    rules: dict[str, Rule] = {
        "linear alone": lowest(lambda t: either(2.0, t), v.linear, v, e),
        "transformer alone": lowest(lambda t: either(t, 2.0), v.transformer, v, e),
        "either over its threshold": best_either(v, e),
        "logistic regression on both": stacked(v, e),
    }
    for name, rule in rules.items():
        print(row(name, rule, test, held))


if __name__ == "__main__":
    main()
