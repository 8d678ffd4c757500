#!/usr/bin/env python3
"""The prompt shield (or the document shield) called a fixed number of times on one 1k-token
text: a driver for counting instructions, which stay repeatable where wall-clock time on a
shared machine does not.

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \\
        .venv/bin/python -m benchmarks.shield_calls --text mixed --calls 10

Run it with `--calls 0` too: the difference between the two totals, divided by the calls, is
the instructions per call, without start-up (imports, compiling the rules, loading the model).
A fixed hash seed keeps the count repeatable (set and dict order follow it).
Texts: `mixed` is the user message of `benchmarks.safety_overhead` (prose, a quarter technical
sentences, some contact details), `prose` and `technical` those of `benchmarks.prompt_shield`.
`--shield document` calls the document shield; `--model PATH` gives the shield another model
file, to compare two models with everything else equal.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from pathlib import Path

from benchmarks.prompt_shield import text_of
from benchmarks.safety_overhead import prompt_text
from sluicegate.safety.classifier import load_model
from sluicegate.safety.document_shield import DocumentShield
from sluicegate.safety.prompt_shield import PromptShield

TOKENS = 1_000


def text_named(name: str) -> str:
    if name == "mixed":
        return prompt_text(TOKENS, random.Random(0))
    return text_of(name, TOKENS)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--text", choices=("mixed", "prose", "technical"), default="mixed")
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--shield", choices=("prompt", "document"), default="prompt")
    parser.add_argument("--model", type=Path, help="a model file (default: the shield's own)")
    args = parser.parse_args(argv)
    model = load_model(args.model) if args.model else None
    shield = PromptShield(model=model) if args.shield == "prompt" else DocumentShield(model=model)
    text = text_named(args.text)
    shield(text)  # warm: both totals include one call, so the difference is `calls` calls
    for _ in range(args.calls):
        shield(text)


if __name__ == "__main__":
    main()
