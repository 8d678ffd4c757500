#!/usr/bin/env python3
"""Quality of the offline safety detectors on labelled sets: content safety per category and
PII recognisers per type.

    .venv/bin/python -m benchmarks.safety_quality [--split dev|test|all] [--errors] [--seed 7]

Content safety is scored on `tests/data/content_safety_eval.jsonl`, a small set written for
this project (harmful and hard benign sentences, each with the category and level it should
get; `also` lists other categories a sentence may fairly get). A category counts as detected at
level low or above. PII is scored on a synthetic set generated here with a fixed seed: valid
values of every type in sentences, values with wrong check digits, and look-alikes (order
numbers, dates, versions, UUIDs, hashes, prices, timestamps) that must not be reported.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.pii_samples import Sample, samples
from sluicegate.safety.content import ContentSafety
from sluicegate.safety.pii import PII_TYPES, PiiDetector
from sluicegate.safety.verdict import HARM_CATEGORIES, Category, Level

EVAL_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "content_safety_eval.jsonl"
LEVELS = {"safe": Level.SAFE, "low": Level.LOW, "medium": Level.MEDIUM, "high": Level.HIGH}


@dataclass(frozen=True, slots=True)
class Item:
    text: str
    category: Category | None
    level: Level
    split: str
    also: frozenset[Category] = frozenset()

    @property
    def harmful(self) -> bool:
        return self.category is not None and self.level > Level.SAFE


@dataclass(slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    exact_level: int = 0
    near_level: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load_items(path: Path = EVAL_SET) -> list[Item]:
    items = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        items.append(
            Item(
                row["text"],
                Category(row["category"]) if row["category"] else None,
                LEVELS[row["level"]],
                row["split"],
                frozenset(Category(c) for c in row.get("also", ())),
            )
        )
    return items


def score_content(
    detector: ContentSafety, items: Iterable[Item]
) -> tuple[dict[Category, Score], int, int]:
    """Per category scores, and how many safe items got any finding out of how many."""
    scores = {category: Score() for category in HARM_CATEGORIES}
    safe_total = safe_flagged = 0
    for item in items:
        verdict = detector(item.text)
        flagged = False
        for category in HARM_CATEGORIES:
            level = Level.of(verdict.severity(category))
            expected = item.harmful and item.category is category
            score = scores[category]
            if expected and level >= Level.LOW:
                score.tp += 1
                score.exact_level += level == item.level
                score.near_level += abs(int(level) - int(item.level)) <= 2
                if level != item.level:
                    score.errors.append(f"level {level.label} != {item.level.label}: {item.text}")
            elif expected:
                score.fn += 1
                score.errors.append(f"missed ({item.level.label}): {item.text}")
            elif level >= Level.LOW and category not in item.also:
                score.fp += 1
                flagged = True
                label = verdict.of(category)[0].label
                score.errors.append(f"false {level.label} ({label}): {item.text}")
        if not item.harmful:
            safe_total += 1
            safe_flagged += flagged
    return scores, safe_flagged, safe_total


def print_content(split: str, show_errors: bool) -> None:
    detector = ContentSafety()
    items = [item for item in load_items() if split == "all" or item.split == split]
    scores, flagged, total = score_content(detector, items)
    print(f"content safety, split={split}: {len(items)} items, {total} safe")
    print(f"{'category':10} {'prec':>6} {'recall':>6} {'tp':>4} {'fp':>4} {'fn':>4} {'level=':>7}")
    for category, score in scores.items():
        exact = score.exact_level / score.tp if score.tp else 0.0
        print(
            f"{category.value:10} {score.precision:6.2f} {score.recall:6.2f} {score.tp:4} "
            f"{score.fp:4} {score.fn:4} {exact:7.2f}"
        )
    print(f"safe items with any finding at low or above: {flagged}/{total}")
    if show_errors:
        for category, score in scores.items():
            for error in score.errors:
                print(f"  [{category.value}] {error}")


def score_pii(detector: PiiDetector, cases: Sequence[Sample]) -> dict[str, Score]:
    """Exact-span scoring per type: a span counts only if type, start and end all agree."""
    scores = {name: Score() for name in PII_TYPES}
    for case in cases:
        verdict = detector(case.text)
        found = {(f.label, s.start, s.end) for f in verdict.findings for s in f.spans}
        expected = set(case.spans)
        for label, start, end in found - expected:
            scores[label].fp += 1
            scores[label].errors.append(f"false: {case.text[start:end]!r} in {case.text!r}")
        for label, start, end in expected - found:
            scores[label].fn += 1
            scores[label].errors.append(f"missed: {case.text[start:end]!r} in {case.text!r}")
        for label, _, _ in expected & found:
            scores[label].tp += 1
    return scores


def print_pii(seed: int, show_errors: bool) -> None:
    cases = samples(seed, per_type=100)
    scores = score_pii(PiiDetector(), cases)
    print(f"PII, synthetic set seed={seed}: {len(cases)} texts")
    print(f"{'type':12} {'prec':>6} {'recall':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
    for name, score in scores.items():
        print(
            f"{name:12} {score.precision:6.3f} {score.recall:6.3f} {score.tp:4} {score.fp:4} "
            f"{score.fn:4}"
        )
        if show_errors:
            for error in score.errors[:10]:
                print(f"    {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="test", choices=("dev", "test", "all"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--errors", action="store_true", help="print every miss and false hit")
    parser.add_argument("--only", choices=("content", "pii"))
    args = parser.parse_args()
    if args.only != "pii":
        print_content(args.split, args.errors)
    if args.only != "content":
        print_pii(args.seed, args.errors)


if __name__ == "__main__":
    main()
