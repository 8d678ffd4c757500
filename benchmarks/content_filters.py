#!/usr/bin/env python3
"""Cost per call of the offline content filters: PII detection, blocklists and content safety.

    .venv/bin/python -m benchmarks.content_filters [--corpus prompts|readme] [--quick]

Texts of about 1k, 10k and 100k tokens (4.5 characters a token) are cut from an ordinary
corpus built on the spot, offline: `prompts` shuffles hand-written chat prompts (requests to
summarise, write code, plan, translate, with the numbers, dates and versions such prompts hold);
`readme` uses the descriptions of the installed packages (Markdown, code, URLs, lists). Each
filter runs on each text many times, timed with `time.perf_counter_ns`; the median and the 99th
percentile per call are printed, with the cost per 1,000 characters to show it grows linearly.
Blocklists are measured with 10 terms, with 100 terms and 5 patterns, and with 5,000 terms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import time
from collections.abc import Callable
from importlib import metadata

from sluicegate.safety.blocklist import Blocklist, Blocklists
from sluicegate.safety.content import ContentSafety
from sluicegate.safety.pii import PiiDetector

CHARS_PER_TOKEN = 4.5
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
RUNS = {"1k": 400, "10k": 60, "100k": 8}
PROMPTS = (
    "Could you help me rewrite this paragraph so it sounds more professional? We shipped the new "
    "onboarding flow last week and the team saw a 12% lift in activation, but support tickets "
    "went up as well.",
    "I'd like a summary for the leadership update on Friday, around 200 words, with three bullet "
    "points and a short conclusion about the Q3 roadmap and the hiring plan.",
    "What are the trade-offs between using a queue and calling the service directly? Our API "
    "handles about 3,000 requests per minute and the p99 latency is 450 ms.",
    "Write a Python function that parses ISO dates like 2024-05-01 and returns the weekday; add "
    "type hints, a docstring and two unit tests using pytest.",
    "Translate the following into German and French: 'The meeting is moved to Tuesday at 10:30, "
    "please bring the printed agenda and the budget for 2025.'",
    "Plan a three-day trip to Lisbon for two adults in October with a budget of 1,200 euros; we "
    "like food markets, museums and walking, not nightlife.",
    "Explain why my Docker build fails after upgrading to version 24.0.7: the error says the base "
    "image cannot be found, but it worked yesterday on the CI runner.",
    "Draft a polite email to a customer whose order shipped late; offer a 10% discount on the "
    "next purchase and explain that the carrier had delays in the region.",
    "Summarise the attached meeting notes: the team agreed to freeze features on March 3, fix the "
    "login bug first, and review the dashboard designs next sprint.",
    "Give me a SQL query that returns the top 5 customers by revenue in 2023 from the orders and "
    "customers tables, with the total formatted to two decimals.",
    "My sourdough is too dense. I feed the starter twice a day, bake at 230 degrees for 40 "
    "minutes and proof for 4 hours at room temperature. What should I change?",
    "Compare PostgreSQL and MySQL for a small analytics workload of about 50 GB, focusing on "
    "indexing, JSON support, replication and the cost of managed hosting.",
)


def prompt_corpus(size: int, rng: random.Random) -> str:
    pieces: list[str] = []
    length = 0
    while length < size:
        piece = rng.choice(PROMPTS)
        pieces.append(piece)
        length += len(piece) + 2
    return "\n\n".join(pieces)[:size]


def readme_corpus(size: int, rng: random.Random) -> str:
    bodies = [
        (dist.read_text("METADATA") or "").split("\n\n", 1)[-1]
        for dist in sorted(metadata.distributions(), key=lambda d: d.metadata["Name"] or "")
    ]
    text = "\n\n".join(body for body in bodies if len(body) > 2000)
    start = rng.randrange(max(1, len(text) - size))
    return (text[start:] + text)[:size]


def timed(call: Callable[[str], object], text: str, runs: int) -> tuple[float, float]:
    """Median and 99th percentile of one call, in microseconds."""
    call(text)
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        call(text)
        samples.append(time.perf_counter_ns() - start)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return statistics.median(samples) / 1000, p99 / 1000


def blocklists(rng: random.Random) -> dict[str, Blocklists]:
    def word() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 10)))

    def terms(count: int) -> list[str]:
        return [word() if index % 3 else f"{word()} {word()}" for index in range(count)]

    patterns = [
        r"project\s+(?:falcon|eagle|osprey)",
        r"acme-\d{4}-[a-z]{2}",
        r"confidential:\s*\w+",
        r"\bcodename\s+\w+",
        r"internal use only",
    ]
    return {
        "blocklist 10 terms": Blocklists([Blocklist("ten", terms(10))]),
        "blocklist 100 terms + 5 patterns": Blocklists(
            [Blocklist("hundred", terms(100), patterns)]
        ),
        "blocklist 5,000 terms": Blocklists([Blocklist("many", terms(5000))]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="prompts", choices=("prompts", "readme"))
    parser.add_argument("--quick", action="store_true", help="1k tokens only")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    make = prompt_corpus if args.corpus == "prompts" else readme_corpus
    started = time.perf_counter()
    filters: dict[str, Callable[[str], object]] = {
        "pii (all types)": PiiDetector(),
        **blocklists(rng),
        "content safety": ContentSafety(),
    }
    print(f"filters built in {time.perf_counter() - started:.2f} s; corpus={args.corpus}")
    sizes = {"1k": SIZES["1k"]} if args.quick else SIZES
    print(
        f"{'filter':34} {'tokens':>6} {'chars':>8} {'median us':>10} {'p99 us':>9} {'us/1k ch':>9}"
    )
    for label, tokens in sizes.items():
        text = make(int(tokens * CHARS_PER_TOKEN), rng)
        for name, call in filters.items():
            median, p99 = timed(call, text, RUNS[label])
            per_k = median / (len(text) / 1000)
            print(f"{name:34} {label:>6} {len(text):8} {median:10.1f} {p99:9.1f} {per_k:9.2f}")


if __name__ == "__main__":
    main()
