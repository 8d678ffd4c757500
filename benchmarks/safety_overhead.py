#!/usr/bin/env python3
"""What the safety layer's default checks cost: input shields on 1k, 10k and 100k-token prompts,
and output checking on streamed and whole replies.

    .venv/bin/python -m benchmarks.safety_overhead [--runs 1000] [--out PATH]

The profile is the built-in `default` one, compiled as the gateway compiles it (`SafetySettings()`
defaults, `DetectorFactory`, a blocklist catalog over an empty managed store). A second profile,
`default + PII`, adds PII redaction: off by default, but part of the input set the performance
goal names. Everything runs in process, on one thread, offline.

Input: a chat request (a short system message and one user message of about N tokens, 4
characters a token, prose mixed with technical text and a few e-mail addresses, phone numbers
and amounts, drawn with a fixed seed) goes through what the policy runs before forwarding:
`request_texts` and `inspect_texts` with the mask redactor. Each detector is also timed alone on
the 1k-token message.

Output: a stream of `chat.completion.chunk` frames, one token per frame, as the simulator writes
them, is read through `GuardedStream` and, for the baseline, read directly; the difference is
the CPU the checks add to a stream. It is set against how long the stream takes to generate at
50 and 100 tokens/s (cost ÷ duration: the checks run while the client waits for the next
token). A whole 500-token reply goes through `filter_reply_body`.

Latencies use `time.perf_counter_ns` after a warm-up; p50 and p99 per case. `--runs` is the
number of samples for a 1k-token prompt and a 500-token stream; larger cases take
proportionally fewer (at least 50).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import re
import statistics
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from sluicegate.config.safety import PiiSettings, SafetySettings
from sluicegate.core.exchange import Exchange
from sluicegate.policies.shields.blocklists import BlocklistCatalog
from sluicegate.policies.shields.build import DetectorFactory
from sluicegate.policies.shields.inspect import InputReport, Redactor, inspect_texts
from sluicegate.policies.shields.output_body import filter_reply_body
from sluicegate.policies.shields.output_stream import GuardedStream
from sluicegate.policies.shields.profile import Profile
from sluicegate.safety.blocklist import Blocklist, Blocklists
from sluicegate.safety.pii import PiiDetector
from sluicegate.safety.redact import redact_spans
from sluicegate.safety.verdict import Span, Verdict
from sluicegate.simulator.payloads import Completion
from sluicegate.stores.blocklists_memory import MemoryBlocklistStore
from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.texts import TextKind, request_texts

CHARS_PER_TOKEN = 4
SIZES = (1_000, 10_000, 100_000)
STREAM_TOKENS = (500, 2_000)
BODY_TOKENS = 500
SPEEDS = (50, 100)
"""Generation speeds (tokens/s) a stream's duration is computed at."""
MIN_RUNS = 50
SEED = 20261204
OUT = "/tmp/sluicegate-safety-overhead.json"

PROSE = (
    "I am preparing the quarterly review for our operations team and would like your help "
    "structuring it.",
    "Revenue grew in every region this quarter, although the northern warehouses were slower "
    "to recover after the winter storms.",
    "The support team extended its hours into the evening, and customer satisfaction rose by "
    "a few points as a result.",
    "Hiring remains the main risk: three senior engineering roles have been open for more than "
    "two months.",
    "Finance would like to know whether the spring marketing budget can move to the next "
    "quarter, since the launch date changed.",
    "Please keep the tone neutral and factual, and avoid marketing language in the summary.",
    "The board also asked for a short comparison with the same quarter last year and a view on "
    "the office lease in Lyon.",
    "Our biggest customer asked for a new reporting feature, which the product team estimates "
    "at about six weeks of work.",
    "The new onboarding flow shipped two weeks ago; activation improved, but the number of "
    "support tickets went up as well.",
    "If anything in these notes is unclear, list it as an open question rather than guessing "
    "what was meant.",
    "We moved the weekly planning meeting to Tuesday mornings so that the teams in Asia can "
    "join before the end of their day.",
    "The logistics partner in Rotterdam finally passed its fire inspection and is shipping at "
    "full capacity again.",
)
TECHNICAL = (
    "The billing service reads `config.yaml` at start; it sets `database.url`, "
    "`cache.ttl_seconds` and the number of workers per core.",
    "Build the image with `docker build -t billing:2.4.1 .` and push it to the internal "
    "registry before the release window.",
    "Health checks call `/healthz` every ten seconds, and three failures in a row restart the "
    "container.",
    "Logs are written to stdout as JSON lines with the fields `level`, `msg` and `request_id`.",
    "The nightly job exports the orders table to Parquet, partitioned by day, and the analytics "
    "team queries it with DuckDB.",
    "```python\ndef retry(call, attempts=3):\n    for attempt in range(attempts):\n        try:\n"
    "            return call()\n        except TimeoutError:\n            continue\n```",
    "p99 latency of the checkout API went from 180 ms to 240 ms after the cache was moved to a "
    "separate host.",
    "Rotate the API key by creating a new one, deploying it, and revoking the old key after "
    "24 hours.",
)
CONTACT = (
    "Send the final draft to maria.lopez@example.com before Friday.",
    "The vendor's account manager can be reached on +44 20 7946 0958 during office hours.",
    "Invoice 2024-1187 for 12,450.00 EUR is still open; ask accounts@example.org about it.",
    "Questions about the migration go to devops-oncall@example.net or extension 4417.",
)
SYSTEM = "You are a careful assistant for an operations team. Answer in plain English."

DETECTORS = {
    "prompt_shield": "prompt shield",
    "document_shield": "document shield",
    "harm": "content categories (hate, sexual, violence, self-harm)",
    "pii": "PII",
    "blocklists": "blocklists (catalog with no lists)",
}


# --- the profiles, as the gateway builds them -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Profiles:
    default: Profile
    with_pii: Profile
    redactor: Redactor


def build_profiles() -> Profiles:
    """The built-in default profile compiled as `build_safety_policy` does, and the same with
    PII redaction on (sharing its detectors, as profiles in one gateway do)."""
    settings = SafetySettings()
    catalog = BlocklistCatalog(settings.blocklists, MemoryBlocklistStore())
    asyncio.run(catalog.refresh())
    factory = DetectorFactory(catalog)
    name = settings.default_profile
    chosen = settings.profile(name)
    default = Profile(name, chosen, factory.detectors(chosen))
    pii_settings = chosen.model_copy(update={"pii": PiiSettings(action="redact")})
    with_pii = Profile("default + PII", pii_settings, factory.detectors(pii_settings))
    salt = settings.hash_salt.encode()

    def mask(text: str, spans: Sequence[Span]) -> str:
        """The redactor `build_safety_policy` makes for `redact_with: mask`."""
        return redact_spans(text, spans, "mask", salt=salt)

    return Profiles(default, with_pii, mask)


# --- texts ---------------------------------------------------------------------------------------


def prompt_text(tokens: int, rng: random.Random) -> str:
    """About `tokens` tokens of benign text: paragraphs of prose with technical sentences, and
    a contact line or an amount now and then so that PII detection has something to find."""
    chars = tokens * CHARS_PER_TOKEN
    paragraphs: list[str] = []
    length = 0
    while length < chars:
        sentences = []
        for _ in range(rng.randint(3, 6)):
            roll = rng.random()
            bank = CONTACT if roll < 0.04 else TECHNICAL if roll < 0.3 else PROSE
            sentences.append(rng.choice(bank))
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    return "\n\n".join(paragraphs)[:chars].rstrip()


def chat_body(text: str, *, stream: bool = False) -> dict[str, Any]:
    return {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": text},
        ],
        "stream": stream,
    }


def reply_tokens(count: int, rng: random.Random) -> list[str]:
    """`count` tokens of a benign answer: words with their leading space, long words cut into
    pieces, so a token is about 4 characters as in English BPE vocabularies."""
    text = prompt_text(count * 2, rng)
    pieces: list[str] = []
    for word in re.findall(r"\s*\S+", text):
        pieces += [word[i : i + 6] for i in range(0, len(word), 6)]
        if len(pieces) >= count:
            break
    return pieces[:count]


def exchange_for(body: dict[str, Any], *, stream: bool) -> Exchange:
    return Exchange(
        request_id="bench",
        endpoint=Endpoint.CHAT,
        raw=orjson.dumps(body),
        body=body,
        model="gpt-4o",
        stream=stream,
        include_usage=False,
        client_headers={},
        started_at=0.0,
        deadline=600.0,
        strip_usage_chunk=stream,
    )


# --- timing --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stats:
    p50_us: float
    p99_us: float
    runs: int


def stats(samples: list[int]) -> Stats:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Stats(statistics.median(ordered) / 1000, p99 / 1000, len(ordered))


def timed(call: Callable[[], object], runs: int) -> list[int]:
    """Nanoseconds per call over `runs` calls, after a warm-up."""
    for _ in range(max(3, min(runs // 10, 50))):
        call()
    samples: list[int] = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return samples


def runs_for(tokens: int, runs: int) -> int:
    """`runs` samples per 1k tokens, fewer for longer texts but at least `MIN_RUNS` (or `runs`
    when it is smaller), so long cases stay quick without becoming a handful of samples."""
    return max(min(MIN_RUNS, runs), runs * 1_000 // tokens)


# --- input -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InputRow:
    profile: str
    tokens: int
    chars: int
    p50_us: float
    p99_us: float
    per_1k_tokens_p50_us: float
    runs: int
    findings: int
    blocked: bool


@dataclass(frozen=True, slots=True)
class DetectorRow:
    detector: str
    default_input: str
    p50_us: float
    p99_us: float
    runs: int
    findings: int


def inspect_request(profile: Profile, redactor: Redactor, body: dict[str, Any]) -> InputReport:
    """What the policy runs on a request before forwarding it (remote detectors aside)."""
    scope = profile.settings.prompt_scope == "all_user"
    texts = request_texts(Endpoint.CHAT, body, all_user=scope)
    return inspect_texts(profile, texts, redactor)


def input_rows(profiles: Profiles, prompts: dict[int, str], runs: int) -> list[InputRow]:
    rows: list[InputRow] = []
    for profile in (profiles.default, profiles.with_pii):
        for tokens, text in prompts.items():
            body = chat_body(text)
            report = inspect_request(profile, profiles.redactor, body)
            samples = timed(
                partial(inspect_request, profile, profiles.redactor, body),
                runs_for(tokens, runs),
            )
            s = stats(samples)
            rows.append(
                InputRow(
                    profile.name,
                    tokens,
                    len(text),
                    s.p50_us,
                    s.p99_us,
                    s.p50_us * 1_000 / tokens,
                    s.runs,
                    len(report.judged),
                    report.blocking is not None,
                )
            )
    return rows


def detector_rows(profiles: Profiles, text: str, runs: int) -> list[DetectorRow]:
    """Each detector alone on the 1k-token user message, marked by whether the default profile
    runs it on a user prompt."""
    default = profiles.default
    on_prompt = default.input_detectors(TextKind.PROMPT)
    rows: list[DetectorRow] = []
    for field, label in DETECTORS.items():
        detect: Callable[[str], Verdict] | None = getattr(default.detectors, field)
        if detect is not None and detect in on_prompt:
            use = "on"
        elif detect is not None:
            use = "on, reads documents only (not run on this prompt)"
        else:
            detect = getattr(profiles.with_pii.detectors, field)
            use = "off (timed from `default + PII`)"
        assert detect is not None
        rows.append(_detector_row(label, use, detect, text, runs))
    configured = Blocklists([_example_blocklist()])
    rows.append(
        _detector_row(
            "blocklists, one list of 100 terms + 5 patterns",
            "only when lists are configured",
            configured,
            text,
            runs,
        )
    )
    for kind, label in (("person_name", "names of people"), ("street_address", "street addresses")):
        opt_in = PiiDetector([kind])
        name = f"PII, {label} (`{kind}`)"
        rows.append(_detector_row(name, "opt-in (`pii.types`)", opt_in, text, runs))
    return rows


def _detector_row(
    label: str, use: str, detect: Callable[[str], Verdict], text: str, runs: int
) -> DetectorRow:
    s = stats(timed(lambda: detect(text), runs))
    return DetectorRow(label, use, s.p50_us, s.p99_us, s.runs, len(detect(text).findings))


def _example_blocklist() -> Blocklist:
    rng = random.Random(SEED)
    letters = "abcdefghijklmnopqrstuvwxyz"

    def word() -> str:
        return "".join(rng.choice(letters) for _ in range(rng.randint(5, 10)))

    terms = [word() if i % 3 else f"{word()} {word()}" for i in range(100)]
    patterns = [
        r"project\s+(?:falcon|eagle|osprey)",
        r"acme-\d{4}-[a-z]{2}",
        r"confidential:\s*\w+",
        r"\bcodename\s+\w+",
        r"internal use only",
    ]
    return Blocklist("example", terms, patterns)


# --- output ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamRow:
    profile: str
    tokens: int
    frames: int
    pass_through_p50_us: float
    guarded_p50_us: float
    guarded_p99_us: float
    added_p50_us: float
    added_per_1k_tokens_us: float
    share_of_duration: dict[str, float]
    """Added CPU ÷ generation time, per speed in tokens/s."""
    first_token_held_tokens: int
    """Upstream tokens read before the first token reached the client (the hold-back)."""
    redacted: bool
    """Whether the client got different text (PII redacted from the reply)."""
    runs: int


@dataclass(frozen=True, slots=True)
class BodyRow:
    profile: str
    tokens: int
    p50_us: float
    p99_us: float
    share_of_duration: dict[str, float]
    runs: int


class Upstream:
    """A backend's stream, already in memory: one chunk per SSE frame."""

    def __init__(self, chunks: Sequence[bytes]) -> None:
        self._chunks = chunks
        self.read = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            self.read += 1
            yield chunk

    async def aclose(self) -> None:
        return None


def stream_frames(tokens: Sequence[str]) -> list[bytes]:
    """The frames the simulator sends for this reply when usage is asked for, as the gateway
    asks by default: the role frame, a frame per token, the finish and usage frames, DONE."""
    completion = Completion(
        Endpoint.CHAT, "gpt-4o", list(tokens), "stop", 1_000, True, "chatcmpl-bench", 0
    )
    opening = completion.opening_frame()
    assert opening is not None
    frames = [opening]
    frames += [completion.content_frame(i, 1) for i in range(len(tokens))]
    closing = completion.closing_frames()
    frames += [frame + b"\n\n" for frame in closing.split(b"\n\n") if frame]
    return frames


async def _read_through(
    frames: Sequence[bytes], profile: Profile | None, redactor: Redactor, body: dict[str, Any]
) -> tuple[int, bytes, int]:
    """(nanoseconds, bytes the client gets, upstream frames read before the first token went
    out) for one stream, checked by `profile` or passed through when it is None."""
    upstream = Upstream(frames)
    stream: Upstream | GuardedStream = upstream
    if profile is not None:
        exchange = exchange_for(body, stream=True)
        stream = GuardedStream(upstream, profile, exchange, redactor, None, None)
    out: list[bytes] = []
    first_at = 0
    start = time.perf_counter_ns()
    async for chunk in stream:
        if not first_at and b'"content":"' in chunk and b'"content":""' not in chunk:
            first_at = upstream.read
        out.append(chunk)
    elapsed = time.perf_counter_ns() - start
    return elapsed, b"".join(out), first_at


def _one_stream(
    loop: asyncio.AbstractEventLoop,
    frames: Sequence[bytes],
    profile: Profile | None,
    *,
    redactor: Redactor,
    body: dict[str, Any],
) -> tuple[int, bytes, int]:
    return loop.run_until_complete(_read_through(frames, profile, redactor, body))


def stream_rows(
    profiles: Profiles, runs: int, rng: random.Random, lengths: Sequence[int] = STREAM_TOKENS
) -> list[StreamRow]:
    loop = asyncio.new_event_loop()
    rows: list[StreamRow] = []
    body = chat_body(prompt_text(200, rng), stream=True)
    try:
        for tokens in lengths:
            frames = stream_frames(reply_tokens(tokens, rng))
            sent = b"".join(frames)
            count = runs_for(tokens * 2, runs)
            for profile in (profiles.default, profiles.with_pii):
                once = partial(_one_stream, loop, frames, redactor=profiles.redactor, body=body)
                _, received, first_at = once(profile)
                if received != sent and not profile.redacts_output():
                    raise RuntimeError(f"{profile.name} changed a benign stream")
                for _ in range(max(3, count // 10)):
                    once(None)
                    once(profile)
                plain: list[int] = []
                guarded: list[int] = []
                for _ in range(count):  # interleaved, so drift hits both alike
                    plain.append(once(None)[0])
                    guarded.append(once(profile)[0])
                p, g = stats(plain), stats(guarded)
                added = g.p50_us - p.p50_us
                rows.append(
                    StreamRow(
                        profile.name,
                        tokens,
                        len(frames),
                        p.p50_us,
                        g.p50_us,
                        g.p99_us,
                        added,
                        added * 1_000 / tokens,
                        {str(s): added / (tokens / s * 1e6) for s in SPEEDS},
                        first_at - 2,  # minus the role frame and the frame itself
                        received != sent,
                        count,
                    )
                )
    finally:
        loop.close()
    return rows


def body_rows(profiles: Profiles, runs: int, rng: random.Random) -> list[BodyRow]:
    loop = asyncio.new_event_loop()
    tokens = reply_tokens(BODY_TOKENS, rng)
    reply = Completion(Endpoint.CHAT, "gpt-4o", tokens, "stop", 1_000, False, "chatcmpl-b", 0)
    raw = reply.body()
    body = chat_body(prompt_text(200, rng))
    rows: list[BodyRow] = []
    try:
        for profile in (profiles.default, profiles.with_pii):

            def once(checked: Profile = profile) -> bytes:
                exchange = exchange_for(body, stream=False)
                return loop.run_until_complete(
                    filter_reply_body(raw, checked, exchange, profiles.redactor, None, None)
                )

            s = stats(timed(once, runs_for(BODY_TOKENS * 2, runs)))
            rows.append(
                BodyRow(
                    profile.name,
                    BODY_TOKENS,
                    s.p50_us,
                    s.p99_us,
                    {str(v): s.p50_us / (BODY_TOKENS / v * 1e6) for v in SPEEDS},
                    s.runs,
                )
            )
    finally:
        loop.close()
    return rows


# --- report ----------------------------------------------------------------------------------


def _duration(us: float) -> str:
    return f"{us / 1000:.2f} ms" if abs(us) >= 1000 else f"{us:.0f} µs"


def _percent(share: float) -> str:
    return f"{share * 100:.2g} %"


def input_table(rows: Sequence[InputRow]) -> str:
    lines = [
        "| profile | tokens | chars | p50 | p99 | p50 per 1k tokens | findings | runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.profile} | {r.tokens:,} | {r.chars:,} | {_duration(r.p50_us)} "
            f"| {_duration(r.p99_us)} | {_duration(r.per_1k_tokens_p50_us)} "
            f"| {r.findings}{' (blocked)' if r.blocked else ''} | {r.runs} |"
        )
    return "\n".join(lines)


def detector_table(rows: Sequence[DetectorRow]) -> str:
    lines = [
        "| detector (1k tokens) | default profile, user prompt | p50 | p99 | findings |",
        "|---|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.detector} | {r.default_input} | {_duration(r.p50_us)} "
            f"| {_duration(r.p99_us)} | {r.findings} |"
        )
    return "\n".join(lines)


def stream_table(rows: Sequence[StreamRow]) -> str:
    speeds = " | ".join(f"share of duration at {s} tok/s" for s in SPEEDS)
    lines = [
        "| profile | output tokens | pass-through p50 | checked p50 (p99) | added p50 "
        f"| added per 1k tokens | {speeds} | first token held |",
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(SPEEDS) + "---:|",
    ]
    for r in rows:
        shares = " | ".join(_percent(r.share_of_duration[str(s)]) for s in SPEEDS)
        lines.append(
            f"| {r.profile} | {r.tokens:,} | {_duration(r.pass_through_p50_us)} "
            f"| {_duration(r.guarded_p50_us)} ({_duration(r.guarded_p99_us)}) "
            f"| {_duration(r.added_p50_us)} | {_duration(r.added_per_1k_tokens_us)} "
            f"| {shares} | {r.first_token_held_tokens} tokens |"
        )
    return "\n".join(lines)


def body_table(rows: Sequence[BodyRow]) -> str:
    speeds = " | ".join(f"share of duration at {s} tok/s" for s in SPEEDS)
    lines = [
        f"| profile | reply tokens | p50 | p99 | {speeds} |",
        "|---|---:|---:|---:|" + "---:|" * len(SPEEDS),
    ]
    for r in rows:
        shares = " | ".join(_percent(r.share_of_duration[str(s)]) for s in SPEEDS)
        lines.append(
            f"| {r.profile} | {r.tokens:,} | {_duration(r.p50_us)} | {_duration(r.p99_us)} "
            f"| {shares} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Results:
    input: list[InputRow]
    detectors: list[DetectorRow]
    stream: list[StreamRow]
    body: list[BodyRow]


def run(
    runs: int = 1_000,
    sizes: Sequence[int] = SIZES,
    stream_tokens: Sequence[int] = STREAM_TOKENS,
) -> Results:
    """Every measurement: prompts of `sizes` tokens, streamed replies of `stream_tokens`."""
    rng = random.Random(SEED)
    profiles = build_profiles()
    prompts = {tokens: prompt_text(tokens, rng) for tokens in sizes}
    rows = input_rows(profiles, prompts, runs)
    smallest = prompts[min(sizes)]
    detectors = detector_rows(profiles, smallest, runs_for(min(sizes), runs))
    streams = stream_rows(profiles, runs, rng, stream_tokens)
    bodies = body_rows(profiles, runs, rng)
    return Results(rows, detectors, streams, bodies)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1_000, help="samples at 1k tokens")
    parser.add_argument("--out", default=OUT, help="where to write the JSON results")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run(args.runs)
    print("## Input: request_texts + inspect_texts on a chat request\n")
    print(input_table(results.input))
    print("\n## Input detectors alone, 1k-token user message\n")
    print(detector_table(results.detectors))
    print("\n## Streamed output: GuardedStream against passing the frames through\n")
    print(stream_table(results.stream))
    print("\n## Whole reply: filter_reply_body\n")
    print(body_table(results.body))
    elapsed = time.perf_counter() - started
    print(f"\n{elapsed:.0f} s; JSON in {args.out}")
    document = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "runs": args.runs,
        "chars_per_token": CHARS_PER_TOKEN,
        "seconds": elapsed,
        **asdict(results),
    }
    Path(args.out).write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
