#!/usr/bin/env python3
"""Latency of the prompt and document shields on benign text of 1k, 10k and 100k tokens.

A token is taken as 4.5 characters (1k tokens ≈ 4,500 characters). Two kinds of text: English
prose (a user's request around meeting notes) and technical Markdown (headings, a shell example,
configuration keys, identifiers with digits) which exercises more of the normaliser. Each case
is timed with `time.perf_counter_ns` in a loop after a warm-up; median and p99 are reported.

    .venv/bin/python -m benchmarks.prompt_shield [--runs 300] [--sizes 1000,10000,100000]
        [--transformer]

`--transformer` times the prompt shield's transformer tier instead (the `shield-model` extra):
milliseconds where the default shields take microseconds, so use fewer runs (`--runs 20`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sluicegate.safety.document_shield import DocumentShield
from sluicegate.safety.prompt_shield import PromptShield
from sluicegate.safety.verdict import Verdict

CHARS_PER_TOKEN = 4.5

PROSE = (
    "Please summarise the notes below for the leadership team. Keep it under two hundred words "
    "and list the open questions separately. Revenue grew steadily in every region this "
    "quarter, while operating costs stayed close to plan. The new warehouse in Rotterdam "
    "opened two weeks late because the fire inspection had to be repeated, but it is now "
    "shipping at full capacity. Customer satisfaction scores rose slightly after the support "
    "team extended its hours into the evening. Hiring remains the main risk: three senior "
    "engineering roles have been open for more than two months, and the recruiting agency "
    "suggested raising the salary bands. Finance asked whether the marketing budget for the "
    "spring campaign can move to the next quarter, since the product launch date changed. "
    "The board would also like a short explanation of the change in cash flow, a comparison "
    "with the same quarter last year, and a recommendation on whether to renew the office "
    "lease in Lyon, which expires in September. "
)

TECHNICAL = (
    "## Deploying the service\n\n"
    "Build the image with `docker build -t billing:2.4.1 .` and push it to the registry. The "
    "service reads `config.yaml` at start; set `database.url`, `cache.ttl_seconds` (default "
    "300) and `workers` (2 per core on x86_64, 1 on arm64).\n\n"
    "```sh\n"
    "export BILLING_ENV=staging\n"
    "curl -s -X POST http://localhost:8080/v1/invoices -H 'Content-Type: application/json' \\\n"
    '  -d \'{"customer": "c_1042", "amount": 1999, "currency": "EUR"}\'\n'
    "```\n\n"
    "Health checks hit `/healthz` every 10 s; three failures in a row restart the container. "
    "Logs go to stdout as JSON lines with `level`, `msg` and `request_id`. To rotate the API "
    "key, create a new one in the admin console, deploy it, then revoke the old key after "
    "24 hours so that clients with cached credentials keep working.\n\n"
)


def text_of(kind: str, tokens: int) -> str:
    """Benign text of about `tokens` tokens, made by repeating one kind of paragraph."""
    base = PROSE if kind == "prose" else TECHNICAL
    chars = int(tokens * CHARS_PER_TOKEN)
    return (base * (chars // len(base) + 1))[:chars]


@dataclass(frozen=True, slots=True)
class Timing:
    detector: str
    kind: str
    tokens: int
    chars: int
    median_us: float
    p99_us: float
    flagged: bool


def measure(detect: Callable[[str], Verdict], text: str, runs: int) -> tuple[float, float, bool]:
    """Median and p99 latency in microseconds over `runs` calls, after a warm-up."""
    for _ in range(min(runs, 20)):
        verdict = detect(text)
    samples: list[int] = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        verdict = detect(text)
        samples.append(time.perf_counter_ns() - start)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return statistics.median(samples) / 1000, p99 / 1000, bool(verdict)


def run(
    sizes: Sequence[int] = (1_000, 10_000, 100_000),
    runs: int = 300,
    *,
    transformer: bool = False,
) -> list[Timing]:
    detectors: dict[str, Callable[[str], Verdict]]
    if transformer:
        from sluicegate.safety.transformer_shield import TransformerPromptShield

        detectors = {"prompt_shield (transformer)": TransformerPromptShield()}
    else:
        detectors = {"prompt_shield": PromptShield(), "document_shield": DocumentShield()}
    out: list[Timing] = []
    for name, detect in detectors.items():
        for kind in ("prose", "technical"):
            for size in sizes:
                text = text_of(kind, size)
                count = max(5, runs * 1_000 // size)
                median, p99, flagged = measure(detect, text, count)
                out.append(Timing(name, kind, size, len(text), median, p99, flagged))
    return out


def table(timings: Sequence[Timing]) -> str:
    lines = [
        "| detector | text | tokens | chars | median | p99 | per 1k tokens (median) | flagged |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for t in timings:
        lines.append(
            f"| {t.detector} | {t.kind} | {t.tokens:,} | {t.chars:,} | {_duration(t.median_us)} "
            f"| {_duration(t.p99_us)} | {_duration(t.median_us * 1000 / t.tokens)} "
            f"| {'yes' if t.flagged else 'no'} |"
        )
    return "\n".join(lines)


def _duration(us: float) -> str:
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300, help="calls per 1k tokens of text")
    parser.add_argument("--sizes", default="1000,10000,100000", help="token counts")
    parser.add_argument(
        "--transformer", action="store_true", help="time the transformer tier instead"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(table(run(sizes, args.runs, transformer=args.transformer)))


if __name__ == "__main__":
    main()
