"""A run directory: what a run was asked to do, and what it has done so far.

    RUNDIR/manifest.json   dataset (path, SHA-256, item count), prompts, evaluators, model
    RUNDIR/items.jsonl     the dataset's items as read (so reports show inputs even if the
                           dataset file moves)
    RUNDIR/results.jsonl   one line per answered (item, prompt), appended as each finishes
    RUNDIR/summary.json    the comparison, rewritten at the end of `run` and by `report`
    RUNDIR/review.json     expert marks imported by `eval review --import`

A run is resumable because every answer is appended (and flushed) the moment it is scored: run
the same command again and only the missing or failed (item, prompt) pairs are sent. The
manifest guards that: resuming with another dataset, other prompts (or a changed local prompty
file), other evaluators or another model would mix two experiments, and is refused.
A line cut short by a crash is dropped (and cut off the file) when the run is resumed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from sluicegate.evals.evaluator import EvalItem
from sluicegate.evals.records import ItemResult

MANIFEST_FORMAT = "sluicegate-eval-run/1"
MANIFEST = "manifest.json"
ITEMS = "items.jsonl"
RESULTS = "results.jsonl"
SUMMARY = "summary.json"
REVIEW = "review.json"


class RunDirError(Exception):
    """The run directory cannot be used as asked; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Manifest:
    dataset: Mapping[str, Any]
    """`path`, `sha256`, `items`."""
    prompts: tuple[Mapping[str, Any], ...]
    """Per `--prompt`, in order (the first is the baseline): `spec`, `kind`, and for a local
    file its `sha256`."""
    evaluators: tuple[Mapping[str, Any], ...]
    """`spec`, `name`, `kind` of every metric."""
    model: str
    target: str
    created_at: str
    options: Mapping[str, Any]
    """Settings that do not change what is measured (concurrency, judge model, prices)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "dataset": dict(self.dataset),
            "prompts": [dict(p) for p in self.prompts],
            "evaluators": [dict(e) for e in self.evaluators],
            "model": self.model,
            "target": self.target,
            "created_at": self.created_at,
            "options": dict(self.options),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        return cls(
            dataset=data["dataset"],
            prompts=tuple(data["prompts"]),
            evaluators=tuple(data["evaluators"]),
            model=str(data["model"]),
            target=str(data.get("target", "")),
            created_at=str(data.get("created_at", "")),
            options=data.get("options") or {},
        )

    @property
    def prompt_specs(self) -> list[str]:
        return [str(p["spec"]) for p in self.prompts]

    def differences(self, other: Manifest) -> list[str]:
        """What `other` (a new command) would change about this run; empty when it resumes."""
        found: list[str] = []
        if self.dataset.get("sha256") != other.dataset.get("sha256"):
            found.append(
                f"the dataset differs (sha256 {str(self.dataset.get('sha256'))[:12]}… "
                f"then, {str(other.dataset.get('sha256'))[:12]}… now)"
            )
        if self.prompt_specs != other.prompt_specs:
            found.append(
                f"the prompts differ ({', '.join(self.prompt_specs)} then, "
                f"{', '.join(other.prompt_specs)} now)"
            )
        else:
            for before, now in zip(self.prompts, other.prompts, strict=True):
                if before.get("sha256") != now.get("sha256"):
                    found.append(f"the prompty file {before['spec']} has changed since")
        before_evals = [str(e["spec"]) for e in self.evaluators]
        now_evals = [str(e["spec"]) for e in other.evaluators]
        if before_evals != now_evals:
            found.append(
                f"the evaluators differ ({', '.join(before_evals) or 'none'} then, "
                f"{', '.join(now_evals) or 'none'} now)"
            )
        if self.model != other.model:
            found.append(f"the model differs ({self.model} then, {other.model} now)")
        return found


class RunDir:
    """The files of one run; nothing is read or written until a method is called."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def results_path(self) -> Path:
        return self.path / RESULTS

    @property
    def summary_path(self) -> Path:
        return self.path / SUMMARY

    @property
    def review_path(self) -> Path:
        return self.path / REVIEW

    def read_manifest(self) -> Manifest:
        try:
            data = orjson.loads(self.manifest_path.read_bytes())
        except FileNotFoundError:
            raise RunDirError(
                f"{self.path} is not an evaluation run (no {MANIFEST}); "
                "`sluicegate eval run --out` makes one"
            ) from None
        except (OSError, orjson.JSONDecodeError) as error:
            raise RunDirError(f"{self.manifest_path}: cannot read the manifest: {error}") from None
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            raise RunDirError(f"{self.manifest_path} is not a sluicegate evaluation manifest")
        try:
            return Manifest.from_json(data)
        except (KeyError, TypeError) as error:
            raise RunDirError(f"{self.manifest_path}: missing field {error}") from None

    @property
    def items_path(self) -> Path:
        return self.path / ITEMS

    def start(self, manifest: Manifest, items: Iterable[EvalItem] = ()) -> Manifest:
        """Create the run, or check that `manifest` resumes the one there; the run's manifest."""
        if self.manifest_path.exists():
            existing = self.read_manifest()
            differences = existing.differences(manifest)
            if differences:
                raise RunDirError(
                    f"{self.path} holds a run of another experiment: "
                    + "; ".join(differences)
                    + ". Resume it with the same options, or use a new --out directory."
                )
            return existing
        if self.path.exists() and any(self.path.iterdir()):
            raise RunDirError(
                f"{self.path} is not empty and holds no evaluation run; use a new --out directory"
            )
        self.path.mkdir(parents=True, exist_ok=True)
        lines = b"".join(
            orjson.dumps(
                {"id": i.id, "inputs": i.inputs, "expected": i.expected, "metadata": i.metadata}
            )
            + b"\n"
            for i in items
        )
        partial = self.items_path.with_name(ITEMS + ".partial")
        partial.write_bytes(lines)
        partial.replace(self.items_path)
        write_json(self.manifest_path, manifest.to_json())
        return manifest

    def read_items(self) -> list[EvalItem]:
        """The dataset's items as the run read them, in order."""
        try:
            data = self.items_path.read_bytes()
        except OSError as error:
            raise RunDirError(f"{self.items_path}: cannot read: {error}") from None
        items: list[EvalItem] = []
        for number, raw in enumerate(data.splitlines(), start=1):
            try:
                value = orjson.loads(raw)
                items.append(
                    EvalItem(
                        str(value["id"]),
                        value["inputs"],
                        value.get("expected"),
                        value.get("metadata") or {},
                    )
                )
            except (orjson.JSONDecodeError, KeyError, TypeError):
                raise RunDirError(f"{self.items_path} line {number} is not an item") from None
        return items

    def load_results(self, *, repair: bool = False) -> dict[tuple[str, str], ItemResult]:
        """The latest result per (item, prompt). A last line cut short by a crash is ignored,
        and with `repair` cut off the file so that appending can go on."""
        try:
            data = self.results_path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise RunDirError(f"{self.results_path}: cannot read: {error}") from None
        results: dict[tuple[str, str], ItemResult] = {}
        complete = data.rfind(b"\n") + 1
        for number, raw in enumerate(data[:complete].split(b"\n"), start=1):
            if not raw.strip():
                continue
            try:
                result = ItemResult.from_json(orjson.loads(raw))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
                raise RunDirError(
                    f"{self.results_path} line {number} is not a result; the file was changed "
                    "by hand or by another program"
                ) from None
            results[(result.item, result.prompt)] = result
        if repair and complete < len(data):
            with self.results_path.open("r+b") as file:
                file.truncate(complete)
        return results

    def append(self, result: ItemResult) -> None:
        """Add one result as one write of one whole line, flushed to the operating system."""
        line = orjson.dumps(result.to_json()) + b"\n"
        fd = os.open(self.results_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def write_summary(self, summary: Mapping[str, Any]) -> Path:
        write_json(self.summary_path, summary)
        return self.summary_path


def write_json(path: Path, data: Any) -> None:
    """Write beside the target, then rename: a reader never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    partial.replace(path)


def finished_pairs(results: Iterable[ItemResult]) -> set[tuple[str, str]]:
    return {(r.item, r.prompt) for r in results if r.done}
