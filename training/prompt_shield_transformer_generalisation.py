"""How the prompt shield's transformer tier does on attack styles it never saw, measured like the
linear tier's (docs/safety-prompt-shield.md): the shipped configuration retrained on one corpus
and tested on the other, and (with `--held-out-groups`) retrained with groups of neuralchemy
attack categories left out of training and tuning.

Each run trains into a temporary file (the shipped model is never written), tunes its threshold
by the shipped rule on the kept validation data, and is measured with the detector as the
gateway runs it (rules and model). About 20 to 50 minutes of training per run on two cores:

    .venv/bin/python -m training.prompt_shield_transformer_generalisation \\
        [--report docs/safety-prompt-shield-transformer.md] [--held-out-groups] \\
        [--model PATH --telegraphic --padded]  # a candidate's, trained with those flags

replaces the report's section "## Attack styles it never saw", rewritten after every run so
that a stopped run leaves what it measured. `--groups-only` runs the held-out groups alone and
keeps the rows the report already holds (measured for the same configuration): it runs the
groups not measured yet, or those named with `--group NAME` (repeatable), so a stopped run goes
on where it stopped; `--linear-only` retrains nothing and reads the linear tier's cells again
from its report, as needed after the linear models are retrained.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sluicegate.safety.transformer_model import MODEL_PATH, TransformerModel, load_transformer
from training.prompt_shield_data import NEURALCHEMY, SLABS, Corpora, Example
from training.prompt_shield_eval import HELD_OUT_GROUPS
from training.prompt_shield_transformer import (
    REPORT_PATH,
    TrainConfig,
    fit,
    load_corpora,
    model_metadata,
    tune,
    write_model,
)
from training.report_cells import labelled_texts, machine, rate

SECTION = "## Attack styles it never saw"
COMMAND = ".venv/bin/python -m training.prompt_shield_transformer_generalisation"
LINEAR_REPORT = Path("docs/safety-prompt-shield.md")
PAIRS = ((SLABS, NEURALCHEMY), (NEURALCHEMY, SLABS))
_REPLACED = (SECTION, "## Not measured here")
"""Headings of the section this module writes (and of the note that stood in its place)."""
_SECTION_PATTERN = re.compile(
    r"^(" + "|".join(re.escape(h) for h in _REPLACED) + r")\n(.*?)(?=^## |\Z)",
    re.MULTILINE | re.DOTALL,
)
"""That section, to its end: its heading and its body."""

Keep = Callable[[Example], bool]
Log = Callable[[str], None]


def restricted(corpora: Corpora, keep: Keep) -> Corpora:
    """`corpora` with only the kept train and validation prompts. The everyday prompts and the
    background text are benign and stay: they teach what users send, not an attack style."""
    return replace(
        corpora,
        train=tuple(e for e in corpora.train if keep(e)),
        validation=tuple(e for e in corpora.validation if keep(e)),
    )


def from_source(source: str) -> Keep:
    def keep(e: Example) -> bool:
        return e.source == source

    return keep


def without_categories(categories: frozenset[str]) -> Keep:
    """Everything but neuralchemy's prompts of `categories`."""

    def keep(e: Example) -> bool:
        return not (e.source == NEURALCHEMY and e.category in categories)

    return keep


@dataclass(frozen=True, slots=True)
class Retrained:
    model: TransformerModel
    trained_seconds: float
    seconds: float
    """Training, tuning and loading."""


def retrained(corpora: Corpora, config: TrainConfig, log: Log) -> Retrained:
    """A model trained and tuned on `corpora` exactly as the shipped one is, via a temporary
    file: tuning scores the exported file with the serving code, as for the shipped model."""
    started = time.perf_counter()
    tensors = fit(corpora, config, log)
    trained = time.perf_counter() - started
    metadata = model_metadata(corpora, config, trained)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "prompt_shield_transformer.safetensors"
        write_model(tensors, path, threshold=0.5, metadata=metadata)
        threshold = tune(load_transformer(path), corpora)
        write_model(tensors, path, threshold=threshold, metadata=metadata)
        model = load_transformer(path)  # tensors are copied out: the file may go
    return Retrained(model, trained, time.perf_counter() - started)


def linear_rows(path: Path = LINEAR_REPORT) -> dict[str, tuple[str, ...]]:
    """The linear tier's generalisation rows in its report, keyed by their leading cells
    ("s-labs | s-labs validation | neuralchemy test", or a held-out group's name): the figures
    to compare with, from the run that shipped the linear model."""
    rows: dict[str, tuple[str, ...]] = {}
    if not path.exists():
        return rows
    text = path.read_text(encoding="utf-8")
    start = text.find("## Generalisation to unseen attack styles")
    if start < 0:
        return rows
    end = text.find("\n## ", start + 1)
    for line in text[start : end if end > 0 else len(text)].splitlines():
        cells = tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
        if len(cells) == 5 and cells[1].endswith("validation"):
            rows[" | ".join(cells[:3])] = cells[3:]
        elif len(cells) == 6 and cells[0] in HELD_OUT_GROUPS:
            rows[cells[0]] = cells[2:]
    return rows


_TIMINGS = re.compile(
    r"^Training time per run on this machine \([^)]*\): (.*?)\. [^.]*, with tuning and measuring",
    re.MULTILINE,
)


def with_linear_cells(row: str, linear: dict[str, tuple[str, ...]]) -> str:
    """A row of the section with its linear-tier cells read again from `linear` (`linear_rows`):
    the comparison follows the shipped linear model, whose retraining changes nothing of the
    transformer's own figures. Rows `linear` does not know stay as they are."""
    cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
    if len(cells) != 7:
        return row
    key = " | ".join(cells[:3])
    if key in linear and len(linear[key]) == 2:
        cells[5:] = linear[key]
    elif cells[0] in linear and len(linear[cells[0]]) == 4:
        cells[6] = linear[cells[0]][1]
    else:
        return row
    return f"| {' | '.join(cells)} |"


def with_linear_section(markdown: str, linear: dict[str, tuple[str, ...]]) -> str:
    """`markdown` with every row of its measured section passed through `with_linear_cells`."""
    match = _SECTION_PATTERN.search(markdown)
    if match is None or match.group(1) != SECTION:
        return markdown
    body = "\n".join(with_linear_cells(line, linear) for line in match.group(2).split("\n"))
    return markdown[: match.start(2)] + body + markdown[match.end(2) :]


@dataclass(frozen=True, slots=True)
class Measured:
    """Rows a report already holds, and their training times, to carry into a run of the
    held-out groups alone: the cross-source rows, and the rows (by group) of the groups run so
    far."""

    rows: tuple[str, ...]
    timings: tuple[str, ...]
    groups: dict[str, str] = field(default_factory=dict)
    group_timings: dict[str, str] = field(default_factory=dict)


def measured(markdown: str) -> Measured | None:
    """The measured rows and timings of the report's section; None when it has no measured
    section (a stand-in's figures belong to another model) or no cross-source rows."""
    match = _SECTION_PATTERN.search(markdown)
    if match is None or match.group(1) != SECTION:
        return None
    body = match.group(2)
    starts = tuple(f"| {source} | {source} validation | " for source, _ in PAIRS)
    rows = tuple(line for line in body.splitlines() if line.startswith(starts))
    if not rows:
        return None
    timing = _TIMINGS.search(body)
    entries = timing.group(1).split("; ") if timing else []
    trained = tuple(f"{source} " for source, _ in PAIRS)
    groups = {
        group: line
        for line in body.splitlines()
        for group in HELD_OUT_GROUPS
        if line.startswith(f"| {group} | ")
    }
    group_timings = {
        group: entry
        for entry in entries
        for group in groups
        if entry.startswith(f"without {group} ")
    }
    return Measured(rows, tuple(e for e in entries if e.startswith(trained)), groups, group_timings)


@dataclass(slots=True)
class Generalisation:
    """The measured rows so far, rendered as the report's section at any point."""

    config: TrainConfig
    cross_source: list[str]
    timings: list[str]
    groups_wanted: bool
    linear: dict[str, tuple[str, ...]]
    started: float
    carried: bool = False
    """The cross-source rows come from an earlier run (`--groups-only`)."""
    groups: dict[str, str] = field(default_factory=dict)
    """The held-out groups' rows by group, written in `HELD_OUT_GROUPS` order."""
    group_timings: dict[str, str] = field(default_factory=dict)

    def _written_by(self) -> str:
        if self.carried:
            return (
                f"Written by `{COMMAND} --groups-only`, beside the cross-source rows of an "
                f"earlier run of `{COMMAND}` (same configuration)"
            )
        flag = " --held-out-groups" if self.groups_wanted else ""
        return f"Written by `{COMMAND}{flag}` (also part of a full report run)"

    def markdown(self) -> str:
        lines = [
            SECTION,
            "",
            f"{self._written_by()}. The shipped configuration retrained without "
            "the held-out data into a temporary model, its threshold tuned by the same rule on "
            "the matching validation data only (the everyday prompts and background text, benign, "
            "stay in training and tuning), measured as the gateway runs it (rules and model). The "
            "linear tier's figures are the same runs of the linear classifier "
            "(docs/safety-prompt-shield.md).",
            "",
            "| trained on | tuned on | tested on | attacks detected | benign flagged "
            "| linear tier: detected | linear tier: flagged |",
            "|---|---|---|---:|---:|---:|---:|",
            *(self.cross_source or ["| (not run yet) | | | | | | |"]),
            "",
        ]
        if self.groups:
            lines += [
                "Leaving groups of neuralchemy attack categories out of training and tuning "
                "(S-Labs and the other categories stay in), then testing on the held-out group's "
                "test prompts:",
                "",
                "| held-out group | categories | test attacks | detected when held out "
                "| detected by the shipped model | benign flagged when held out "
                "| linear tier: detected when held out |",
                "|---|---|---:|---:|---:|---:|---:|",
                *(self.groups[group] for group in HELD_OUT_GROUPS if group in self.groups),
                "",
            ]
        missing = [group for group in HELD_OUT_GROUPS if group not in self.groups]
        if missing:
            lines += [
                "Not run for the transformer tier: leaving neuralchemy categories out of "
                f"training ({', '.join(missing)}), one retraining per group (`--groups-only` "
                "runs those not measured yet); the linear tier's figures are in "
                "docs/safety-prompt-shield.md.",
                "",
            ]
        timings = [
            *self.timings,
            *(self.group_timings[g] for g in HELD_OUT_GROUPS if g in self.group_timings),
        ]
        lines += [
            f"Training time per run on this machine ({machine()}, {self.config.threads} "
            f"threads): {'; '.join(timings) or 'none yet'}. "
            f"{'The groups run last' if self.carried else 'All runs'}, with tuning and "
            f"measuring: {time.perf_counter() - self.started:.0f} s.",
        ]
        return "\n".join(lines) + "\n"


def generalisation(
    corpora: Corpora,
    *,
    held_out_groups: bool = False,
    config: TrainConfig | None = None,
    shipped: TransformerModel | None = None,
    log: Log | None = None,
    progress: Callable[[str], None] | None = None,
    carried: Measured | None = None,
    groups: Collection[str] | None = None,
) -> str:
    """The report section: cross-source runs (or the `carried` rows in their place), then (if
    asked) one run per held-out group in `groups` (by default all), beside what `shipped` (by
    default the shipped file) detects of the group; the carried rows of groups not run stay.
    `progress` receives the section as it stands after every run."""
    config = config or TrainConfig()
    say = log or (lambda line: None)
    result = Generalisation(
        config, [], [], held_out_groups, linear_rows(), time.perf_counter(), carried is not None
    )
    if carried is not None:
        result.cross_source = [with_linear_cells(row, result.linear) for row in carried.rows]
        result.timings = list(carried.timings)
        result.groups = {
            group: with_linear_cells(row, result.linear) for group, row in carried.groups.items()
        }
        result.group_timings = dict(carried.group_timings)
    from training.prompt_shield_transformer_report import TransformerFlags

    for train_source, test_source in PAIRS if carried is None else ():
        say(f"trained on {train_source} only")
        run = retrained(restricted(corpora, from_source(train_source)), config, say)
        d = TransformerFlags(run.model)
        for target in (train_source, test_source):
            tests = [e for e in corpora.test if e.source == target]
            key = f"{train_source} | {train_source} validation | {target} test"
            linear = result.linear.get(key, ("–", "–"))
            result.cross_source.append(
                f"| {key} | {rate(d.flags(labelled_texts(tests, 1)))} "
                f"| {rate(d.flags(labelled_texts(tests, 0)))} | {' | '.join(linear)} |"
            )
        result.timings.append(
            f"{train_source} {run.trained_seconds:.0f} s (threshold {d.threshold:.4f})"
        )
        if progress:
            progress(result.markdown())
    if held_out_groups:
        full = TransformerFlags(shipped or load_transformer(MODEL_PATH))
        benign = labelled_texts([e for e in corpora.test if e.source == NEURALCHEMY], 0)
        for group, categories in HELD_OUT_GROUPS.items():
            if groups is not None and group not in groups:
                continue
            say(f"held out: {group}")
            run = retrained(restricted(corpora, without_categories(categories)), config, say)
            without = TransformerFlags(run.model)
            attacks = labelled_texts([e for e in corpora.test if e.category in categories], 1)
            linear = result.linear.get(group, ("", "–"))
            result.groups[group] = (
                f"| {group} | {', '.join(sorted(categories))} | {len(attacks)} "
                f"| {rate(without.flags(attacks))} | {rate(full.flags(attacks))} "
                f"| {rate(without.flags(benign))} | {linear[1]} |"
            )
            result.group_timings[group] = (
                f"without {group} {run.trained_seconds:.0f} s (threshold {without.threshold:.4f})"
            )
            if progress:
                progress(result.markdown())
    return result.markdown()


NOT_RERUN = (
    "## Not measured here\n\n"
    "Attack styles it never saw: not measured for this model yet; `{command}` retrains it twice\n"
    "(about an hour on two cores) and writes this section.\n"
)
CARRIED = "\nMeasured for the model this one replaced, and true of that model only:\n"


def rerun_command(
    config: TrainConfig, *, model: Path = MODEL_PATH, report: Path = REPORT_PATH
) -> str:
    """The command that measures this section for the model at `model`, trained with `config`,
    into `report`: a candidate's report names the flags it needs, the shipped one none."""
    parts = [COMMAND]
    parts += ["--telegraphic"] if config.telegraphic else []
    parts += ["--padded"] if config.padded else []
    parts += ["--addressed"] if config.addressed else []
    parts += ["--corrected-labels"] if config.corrected_labels else []
    parts += [f"--model {model}"] if model.resolve() != MODEL_PATH.resolve() else []
    parts += [f"--report {report}"] if report.resolve() != REPORT_PATH.resolve() else []
    return " ".join(parts)


def not_rerun(markdown: str, *, same_weights: bool = False, command: str = COMMAND) -> str:
    """The section standing in for the retrainings when a report skips them: it says so, names
    the `command` that measures them, and carries the previous report's figures (or what an
    earlier stand-in carried), marked as belonging to the model they were measured on. With
    `same_weights` (the report is about the model the previous one was about) a measured
    section is kept as it stands."""
    previous = _SECTION_PATTERN.search(markdown)
    note = NOT_RERUN.format(command=command)
    if previous is None:
        return note
    heading, body = previous.groups()
    if heading == SECTION and same_weights:
        return f"{SECTION}\n{body.rstrip()}\n"
    if heading != SECTION:
        _, found, carried = body.partition(CARRIED)
        return note + (CARRIED + carried.rstrip("\n") + "\n" if found else "")
    return note + CARRIED + "\n" + body.strip("\n").replace("\n### ", "\n#### ") + "\n"


def replace_section(markdown: str, section: str) -> str:
    """`markdown` with its "Attack styles it never saw" section (or the note that stood in its
    place) replaced by `section`, or `section` appended if it has neither."""
    body = section.rstrip("\n") + "\n"
    match = _SECTION_PATTERN.search(markdown)
    if match is None:
        return markdown.rstrip("\n") + "\n\n" + body
    following = "\n" if match.end() < len(markdown) else ""
    return markdown[: match.start()] + body + following + markdown[match.end() :]


def _replace_file(path: Path, text: str) -> None:
    """Write `path` in one step: a stopped run never leaves half a file."""
    staged = path.with_name(f".{path.name}.tmp")
    staged.write_text(text, encoding="utf-8")
    os.replace(staged, path)


def _write(path: Path, section: str) -> None:
    """Swap the section into the report."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    _replace_file(path, replace_section(text, section))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--report", type=Path, default=REPORT_PATH)
    parser.add_argument(
        "--held-out-groups",
        action="store_true",
        help="also retrain once per group of neuralchemy categories (five more runs)",
    )
    parser.add_argument(
        "--groups-only",
        action="store_true",
        help="run the held-out groups alone, keeping the report's measured rows: those not "
        "measured yet, or those named with --group",
    )
    parser.add_argument(
        "--group",
        action="append",
        choices=list(HELD_OUT_GROUPS),
        metavar="NAME",
        help=f"run this held-out group (repeatable; one of: {', '.join(HELD_OUT_GROUPS)})",
    )
    parser.add_argument(
        "--linear-only",
        action="store_true",
        help="retrain nothing: read the section's linear-tier cells again from its report",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=MODEL_PATH,
        help="the model the report is about (compared with in the held-out groups)",
    )
    parser.add_argument(
        "--telegraphic",
        action="store_true",
        help="retrain as `training.prompt_shield_transformer --telegraphic` does",
    )
    parser.add_argument(
        "--padded",
        action="store_true",
        help="retrain as `training.prompt_shield_transformer --padded` does",
    )
    parser.add_argument(
        "--addressed",
        action="store_true",
        help="retrain as `training.prompt_shield_transformer --addressed` does",
    )
    parser.add_argument(
        "--corrected-labels",
        action="store_true",
        help="retrain as `training.prompt_shield_transformer --corrected-labels` does",
    )
    args = parser.parse_args(argv)
    if args.linear_only:
        text = args.report.read_text(encoding="utf-8") if args.report.exists() else ""
        _replace_file(args.report, with_linear_section(text, linear_rows()))
        print(f"linear-tier cells -> {args.report}")
        return
    config = TrainConfig(
        telegraphic=args.telegraphic,
        padded=args.padded,
        addressed=args.addressed,
        corrected_labels=args.corrected_labels,
    )
    carried = None
    groups: list[str] | None = args.group
    if args.groups_only:
        report = args.report.read_text(encoding="utf-8") if args.report.exists() else ""
        carried = measured(report)
        if carried is None:
            parser.error(f"--groups-only: {args.report} has no measured cross-source rows to keep")
        if groups is None:
            groups = [group for group in HELD_OUT_GROUPS if group not in carried.groups]
            if not groups:
                parser.error(
                    f"--groups-only: {args.report} has every held-out group measured; "
                    "name one with --group to run it again"
                )
    section = generalisation(
        load_corpora(corrected_labels=config.corrected_labels),
        held_out_groups=args.held_out_groups or args.groups_only or groups is not None,
        carried=carried,
        groups=groups,
        config=config,
        shipped=load_transformer(args.model),
        log=lambda line: print(line, file=sys.stderr, flush=True),
        progress=lambda text: _write(args.report, text),
    )
    _write(args.report, section)
    print(f"section -> {args.report}")


if __name__ == "__main__":
    main()
