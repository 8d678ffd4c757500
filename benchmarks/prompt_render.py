#!/usr/bin/env python3
"""What rendering a registered prompt adds to a request, once the prompt is in the cache.

    .venv/bin/python -m benchmarks.prompt_render [--runs 20000] [--out PATH]

Each sample is what the gateway does for a chat request that names a prompt, after its body is
decoded and before routing: read the reference, resolve it from the cache (a label; for the split
case a sticky choice by user), check the variables against the declared inputs, render the
template into messages, merge them and the prompt's parameters under the request's fields, check
the merged body and serialize it (`Exchange.rewrite`). The baseline is the same request without a
prompt: reading that there is no reference and checking the body. Everything runs in process on
one thread with the in-memory store; the store is never read during the samples.

Cases: `small` (a system and a user message, three inputs), `large` (a 2,000-character system
prompt and a loop over ten documents), `split` (the small prompt under a 90/10 split, chosen by
the end user's id). Latencies use `time.perf_counter_ns` after a warm-up; p50 and p99 per case.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from sluicegate.core.clock import SystemClock
from sluicegate.core.prompts import LabelTarget
from sluicegate.policies.prompt_cache import PromptCache
from sluicegate.policies.prompt_ref import PROMPT_HEADER, find_reference
from sluicegate.policies.prompt_render import PromptRenderer
from sluicegate.prompts.hashing import content_hash
from sluicegate.stores.prompts_memory import MemoryPromptStore
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.request import check_request

OUT = "/tmp/sluicegate-prompt-render.json"
WARMUP = 2_000

SMALL = """---
name: small
model:
  api: chat
  parameters:
    temperature: 0.2
    max_tokens: 400
inputs:
  question: {type: string}
  product: {type: string}
  tone: {type: string, default: friendly}
---
system:
You are a {{ tone }} support agent for {{ product }}. Answer in two sentences.

user:
{{ question }}
"""

LARGE = (
    """---
name: large
model:
  api: chat
  parameters:
    temperature: 0
    max_tokens: 800
inputs:
  question: {type: string}
  documents: {type: array}
---
system:
"""
    + ("You answer questions about the company's handbook, citing the section you used. " * 25)
    + """
# Documents
{% for doc in documents %}
## {{ doc.title }}
{{ doc.text }}
{% endfor %}

user:
{{ question }}
"""
)

SMALL_VARIABLES = {"question": "Where is my order 4711?", "product": "Sluice"}
LARGE_VARIABLES = {
    "question": "How many vacation days do new employees get?",
    "documents": [
        {"title": f"Section {n}", "text": f"Paragraph {n} of the handbook. " * 8} for n in range(10)
    ],
}


@dataclass(frozen=True)
class Case:
    name: str
    p50_us: float
    p99_us: float
    baseline_p50_us: float
    added_p50_us: float


async def build() -> PromptRenderer:
    store = MemoryPromptStore()
    for name, source in (("small", SMALL), ("large", LARGE)):
        await store.add_version(
            name, source, content_hash(source), author="bench", message="", parent=None
        )
        await store.move_label(name, "production", [LabelTarget(1)], actor="bench")
    await store.add_version(
        "small", SMALL + "\n", content_hash(SMALL + "\n"), author="bench", message="", parent=1
    )
    await store.move_label(
        "small", "split", [LabelTarget(1, 90), LabelTarget(2, 10)], actor="bench"
    )
    cache = PromptCache(store, SystemClock())
    await cache.refresh()
    return PromptRenderer(cache)


async def timed(step: Callable[[int], Awaitable[None]], runs: int) -> list[float]:
    for n in range(WARMUP):
        await step(n)
    samples = []
    clock = time.perf_counter_ns
    for n in range(runs):
        began = clock()
        await step(n)
        samples.append((clock() - began) / 1000.0)
    return samples


def p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


async def measure(runs: int) -> list[Case]:
    renderer = await build()
    cases: list[Case] = []
    plain = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are a friendly support agent for Sluice."},
            {"role": "user", "content": "Where is my order 4711?"},
        ],
    }
    no_headers: dict[str, str] = {}

    async def baseline(_: int) -> None:
        find_reference(plain, no_headers.get(PROMPT_HEADER), Endpoint.CHAT)
        check_request(plain, Endpoint.CHAT, model_required=True)

    base = await timed(baseline, runs)
    base_p50 = p(base, 50)
    for name, label, variables in (
        ("small", "production", SMALL_VARIABLES),
        ("large", "production", LARGE_VARIABLES),
        ("split", "split", SMALL_VARIABLES),
    ):
        prompt_name = "small" if name == "split" else name
        body: dict[str, Any] = {
            "model": "gpt-4o",
            "prompt": {"name": prompt_name, "label": label, "variables": variables},
        }

        async def step(n: int, body: dict[str, Any] = body, split: bool = name == "split") -> None:
            if split:
                body["user"] = f"user-{n % 1000}"
            reference = find_reference(body, None, Endpoint.CHAT)
            assert reference is not None
            rendered = await renderer.render(reference, body, no_headers, Endpoint.CHAT)
            parsed = check_request(rendered.body, Endpoint.CHAT, model_required=True)
            orjson.dumps(parsed.body)

        samples = await timed(step, runs)
        p50 = p(samples, 50)
        cases.append(Case(name, p50, p(samples, 99), base_p50, p50 - base_p50))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args()
    cases = asyncio.run(measure(args.runs))
    print(f"{'case':<8} {'p50 µs':>9} {'p99 µs':>9} {'baseline p50':>13} {'added p50':>10}")
    for case in cases:
        print(
            f"{case.name:<8} {case.p50_us:>9.1f} {case.p99_us:>9.1f} "
            f"{case.baseline_p50_us:>13.1f} {case.added_p50_us:>10.1f}"
        )
    result = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "runs": args.runs,
        "cases": [asdict(case) for case in cases],
    }
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
