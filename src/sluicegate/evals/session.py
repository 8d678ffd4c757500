"""`eval run` put together: read and check everything that can be checked before a request is
sent (dataset, prompts, rendering, evaluators, the run directory), then run, then summarise."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from sluicegate.evals.backoff import Backoff
from sluicegate.evals.client import EvalClient, Sleep
from sluicegate.evals.dataset import Dataset
from sluicegate.evals.dataset_remote import load_dataset
from sluicegate.evals.endpoint import Auth, Endpoint, build_endpoint
from sluicegate.evals.evaluator import Evaluator
from sluicegate.evals.evaluators.embedding import EmbedFn
from sluicegate.evals.local_embeddings import is_local_model, require_local_model
from sluicegate.evals.prices import PriceTable, load_prices
from sluicegate.evals.prompt_requests import PreparedPrompt, check_renders, prepare
from sluicegate.evals.prompt_specs import parse_prompt_specs
from sluicegate.evals.registry import EvaluatorContext, build_evaluators, parse_spec, split_specs
from sluicegate.evals.run import Progress, RunOutcome, RunSettings, run_evaluation
from sluicegate.evals.rundir import Manifest, RunDir

DEFAULT_TARGET = "http://127.0.0.1:8080"
"""The gateway as `sluicegate serve` starts it."""


@dataclass(frozen=True, slots=True)
class EvalOptions:
    dataset: Path
    prompts: Sequence[str]
    evaluators: Sequence[str]
    """As given: each may hold several comma-separated specs."""
    model: str
    out: Path
    target: str = DEFAULT_TARGET
    api_key_env: str | None = None
    auth: Auth = "bearer"
    headers: Sequence[str] = ()
    judge_model: str | None = None
    embedding_model: str | None = None
    concurrency: int = 8
    timeout: float = 120.0
    max_attempts: int = 6
    prices: Path | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass(frozen=True, slots=True)
class PreparedRun:
    options: EvalOptions
    dataset: Dataset
    prompts: list[PreparedPrompt]
    evaluator_specs: list[str]
    endpoint: Endpoint
    prices: PriceTable | None


def evaluator_specs(given: Sequence[str]) -> list[str]:
    """Every spec of every `--evaluators` value, in order."""
    return [spec for text in given for spec in split_specs(text)]


def metric_names(specs: Sequence[str]) -> list[str]:
    """The metric each spec will be reported as (its label, else the spec as written)."""
    return [parse_spec(spec).label for spec in specs]


def prepare_run(options: EvalOptions) -> PreparedRun:
    """Everything checked before a request is sent; raises ValueError subclasses (and
    `ConfigError` for a price table) with messages for the command line."""
    if not options.model.strip():
        raise ValueError("--model is required: the model (or gateway route) to ask")
    if options.concurrency < 1:
        raise ValueError(f"--concurrency must be at least 1, got {options.concurrency}")
    if options.timeout <= 0:
        raise ValueError(f"--timeout must be above 0, got {options.timeout:g}")
    specs = parse_prompt_specs(list(options.prompts))
    endpoint = build_endpoint(
        options.target,
        key_env=options.api_key_env,
        auth=options.auth,
        extra_headers=options.headers,
        environ=options.environ,
    )
    # A file, or a dataset the target gateway keeps (`NAME@v3`).
    dataset = load_dataset(options.dataset, endpoint, timeout=options.timeout)
    prompts = [prepare(spec) for spec in specs]
    check_renders(prompts, dataset.items)
    prices = load_prices(options.prices) if options.prices is not None else None
    return PreparedRun(
        options, dataset, prompts, evaluator_specs(options.evaluators), endpoint, prices
    )


def manifest_for(prepared: PreparedRun, evaluators: Sequence[Evaluator]) -> Manifest:
    o = prepared.options
    return Manifest(
        dataset={
            "path": prepared.dataset.source,
            "sha256": prepared.dataset.sha256,
            "items": len(prepared.dataset.items),
            "skipped_lines": len(prepared.dataset.skipped),
        },
        prompts=tuple(p.describe() for p in prepared.prompts),
        evaluators=tuple(
            {"spec": spec, "name": e.name, "kind": e.kind}
            for spec, e in zip(prepared.evaluator_specs, evaluators, strict=True)
        ),
        model=o.model,
        target=prepared.endpoint.label,
        created_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        options={
            "judge_model": o.judge_model or o.model,
            "embedding_model": o.embedding_model,
            "concurrency": o.concurrency,
            "prices": str(o.prices) if o.prices is not None else None,
        },
    )


async def execute(
    prepared: PreparedRun,
    *,
    progress: Progress | None = None,
    backoff: Backoff | None = None,
    sleep: Sleep | None = None,
) -> tuple[Manifest, RunOutcome]:
    """Build the evaluators (their judge and embeddings calls go to the same endpoint), start
    or resume the run directory, and run. Raises `EvaluatorSpecError` or `RunDirError`
    before anything is sent."""
    o = prepared.options
    timeout = aiohttp.ClientTimeout(total=o.timeout)
    connector = aiohttp.TCPConnector(limit=max(o.concurrency * 2, 16))
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        client_args: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        client = EvalClient(
            session,
            prepared.endpoint,
            backoff or Backoff(max_attempts=o.max_attempts),
            **client_args,
        )
        judge_model = o.judge_model or o.model
        embedding_model = o.embedding_model

        async def complete(messages: list[dict[str, str]]) -> str:
            return await client.complete(messages, model=judge_model, temperature=0)

        async def embed(texts: list[str]) -> list[list[float]]:
            assert embedding_model is not None
            return await client.embed(texts, model=embedding_model)

        embed_fn: EmbedFn | None = None
        if is_local_model(embedding_model):
            embed_fn = require_local_model()
        elif embedding_model is not None:
            embed_fn = embed
        context = EvaluatorContext(
            complete=complete,
            embed=embed_fn,
            base_dir=Path.cwd(),
        )
        evaluators = (
            build_evaluators(prepared.evaluator_specs, context) if prepared.evaluator_specs else []
        )
        rundir = RunDir(o.out)
        manifest = rundir.start(manifest_for(prepared, evaluators), prepared.dataset.items)
        outcome = await run_evaluation(
            prepared.dataset,
            prepared.prompts,
            evaluators,
            client,
            rundir,
            RunSettings(o.model, o.concurrency, prepared.prices),
            progress=progress,
        )
    return manifest, outcome
