"""The promotion gate end to end: real `sluicegate eval run` processes evaluate registered
prompt versions through a gateway (a simulated deployment behind it), `eval publish` stores the
runs, and `prompts promote --require-eval` moves `production` only when a run allows it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.eval_gateway_support import MODEL, EvalGateway, eval_gateway
from tests.e2e.processes import run_cli
from tests.prompt_texts import question_prompt

pytestmark = pytest.mark.e2e

ITEMS = 12
LONG = r"long=regex:(\S+\s+){4}\S+"
"""Passes answers of five words or more: v1 and v3 (max_tokens 30) always, v2 (3) never."""
DATABASE_ENV = "SLUICEGATE_DATABASE_URL"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[EvalGateway]:
    with eval_gateway(tmp_path, require_evaluation=["production"], refresh_seconds=5) as found:
        yield found


def cli(gateway: EvalGateway, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"EVAL_KEY": gateway.keys["app"]}
    return run_cli(*args, env=env, unset=(DATABASE_ENV,), cwd=cwd, timeout=120)


def ok(gateway: EvalGateway, cwd: Path, *args: str) -> str:
    done = cli(gateway, cwd, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def refused(gateway: EvalGateway, cwd: Path, *args: str) -> str:
    done = cli(gateway, cwd, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: "), done.stderr
    return done.stderr


def evaluate(gateway: EvalGateway, cwd: Path, out: str, *prompts: str) -> Path:
    dataset = cwd / "qa.jsonl"
    dataset.write_text(
        "\n".join(json.dumps({"id": f"q{i}", "question": f"What is {i}?"}) for i in range(ITEMS))
    )
    chosen = [arg for prompt in prompts for arg in ("--prompt", prompt)]
    ok(
        gateway, cwd, "eval", "run", "--dataset", str(dataset), *chosen, "--model", MODEL,
        "--target", gateway.url, "--api-key-env", "EVAL_KEY", "-e", LONG, "--out", out,
        "--concurrency", "4",
    )  # fmt: skip
    return cwd / out


def history(gateway: EvalGateway, cwd: Path) -> list[dict[str, Any]]:
    text = ok(gateway, cwd, "prompts", "history", "support", "--label", "production",
              "--format", "json", "--config", str(gateway.config_file))  # fmt: skip
    moves: list[dict[str, Any]] = json.loads(text)
    return moves


def test_production_moves_only_with_a_run_that_allows_it(
    gateway: EvalGateway, tmp_path: Path
) -> None:
    config = ("--config", str(gateway.config_file))
    for number, (tokens, system) in enumerate(
        [(30, "Answer with care."), (3, "Answer in three words."), (30, "Answer kindly.")],
        start=1,
    ):
        path = tmp_path / f"v{number}.prompty"
        path.write_text(question_prompt("support", tokens, system))
        assert f"Pushed support@v{number}" in ok(gateway, tmp_path, "prompts", "push",
                                                 str(path), *config)  # fmt: skip

    # production is in prompts.require_evaluation: no run, no move (the command line included)
    said = refused(gateway, tmp_path, "prompts", "label", "support", "1", "production", *config)
    assert "moves only with a passing evaluation (prompts.require_evaluation)" in said
    said = refused(gateway, tmp_path, "prompts", "promote", "support", "1", "--to",
                   "production", *config)  # fmt: skip
    assert "--require-eval RUN" in said
    ok(gateway, tmp_path, "prompts", "label", "support", "2", "staging", *config)  # not gated

    # a label with no version yet: a run whose candidate is v1 is enough (published on the way)
    first = evaluate(gateway, tmp_path, "run-first", "support@v3", "support@v1")
    said = ok(gateway, tmp_path, "prompts", "promote", "support", "v1", "--to", "production",
              "--require-eval", str(first), *config)  # fmt: skip
    assert "Label production of support now points at v1." in said
    assert "Published evaluation ev-" in said
    assert "against no baseline: long no significant difference" in said
    gateway.server.reload_prompt_labels()

    # the baseline is what production serves; v2 answers in three words, v3 as well as v1
    run = evaluate(gateway, tmp_path, "run-second", "support@production", "support@v2",
                   "support@v3")  # fmt: skip
    summary = json.loads((run / "summary.json").read_text())
    assert summary["gate"]["baseline"]["resolved_versions"] == ["support@v1"]
    published = cli(gateway, tmp_path, "eval", "publish", str(run), *config)
    assert published.returncode == 0, published.stderr
    run_id = published.stdout.strip()
    assert len(run_id) == 19
    assert run_id.startswith("ev-")
    assert f"Published evaluation {run_id} (support@v1 against support@v2, support@v3;" in (
        published.stderr
    )
    again = cli(gateway, tmp_path, "eval", "publish", str(run), *config)
    assert again.stdout.strip() == run_id
    assert "Already published" in again.stderr

    said = refused(gateway, tmp_path, "prompts", "promote", "support", "2", "--to",
                   "production", "--require-eval", run_id, *config)  # fmt: skip
    worse = (
        f"support@v2 (support@v2) is significantly worse than the baseline "
        f"support@production in evaluation {run_id}: long 1 → 0, n={ITEMS}"
    )
    assert worse in said
    said = refused(gateway, tmp_path, "prompts", "promote", "support", "2", "--to",
                   "production", "--require-eval", run_id, "--metric", "rouge_l",
                   *config)  # fmt: skip
    assert "no verdict on metric rouge_l for support@v2 (its metrics: long)" in said
    said = ok(gateway, tmp_path, "prompts", "promote", "support", "3", "--to", "production",
              "--require-eval", run_id, "--note", "kinder wording", *config)  # fmt: skip
    assert "Label production of support now points at v3 (was v1)." in said
    verdict = f"evaluation {run_id}: support@v3 against support@v1: long no significant difference"
    assert f"Allowed by {verdict}." in said

    moves = history(gateway, tmp_path)
    assert [(m["before"], m["after"]) for m in moves] == [
        ([], [{"version": 1, "weight": 1}]),
        ([{"version": 1, "weight": 1}], [{"version": 3, "weight": 1}]),
    ]
    assert moves[0]["note"].startswith("evaluation ev-")
    assert moves[1]["note"] == f"kinder wording; {verdict}"

    # the run compared against v1: now that production serves v3 it allows nothing more
    said = refused(gateway, tmp_path, "prompts", "promote", "support", "2", "--to",
                   "production", "--require-eval", run_id, *config)  # fmt: skip
    assert "which resolved to support@v1, but label 'production' of 'support' points at v3" in said

    # the gateway's admin API enforces the same rules and lists the runs of the prompt
    admin = {"Authorization": f"Bearer {gateway.keys['admin']}"}
    put = httpx.put(f"{gateway.url}/admin/prompts/support/labels/production",
                    json={"version": 1}, headers=admin)  # fmt: skip
    assert put.status_code == 409
    assert put.json()["error"]["code"] == "evaluation_required"
    listed = httpx.get(f"{gateway.url}/admin/evals", params={"prompt": "support"}, headers=admin)
    assert listed.status_code == 200
    newest, oldest = listed.json()["data"]
    assert newest["id"] == run_id
    assert oldest["baseline"] == ["support@v3"]


def test_a_run_directory_that_is_not_finished_cannot_be_cited(
    gateway: EvalGateway, tmp_path: Path
) -> None:
    config = ("--config", str(gateway.config_file))
    path = tmp_path / "v1.prompty"
    path.write_text(question_prompt("support", 30, "Answer."))
    ok(gateway, tmp_path, "prompts", "push", str(path), *config)
    missing = cli(gateway, tmp_path, "prompts", "promote", "support", "1", "--to", "staging",
                  "--require-eval", str(tmp_path / "nowhere"), *config)  # fmt: skip
    assert missing.returncode == 2
    assert "is not an evaluation run (no manifest.json)" in missing.stderr
    bad = cli(gateway, tmp_path, "prompts", "promote", "support", "1", "--to", "staging",
              "--require-eval", "latest", *config)  # fmt: skip
    assert bad.returncode == 2
    assert "'latest' is not an evaluation run id" in bad.stderr
    unknown = refused(gateway, tmp_path, "prompts", "promote", "support", "1", "--to",
                      "staging", "--require-eval", "ev-0000000000000000", *config)  # fmt: skip
    assert "no evaluation run 'ev-0000000000000000' has been published" in unknown
    run = evaluate(gateway, tmp_path, "run", "support@v1")
    (run / "summary.json").unlink()
    stale = cli(gateway, tmp_path, "eval", "publish", str(run), *config)
    assert stale.returncode == 2
    assert "has no summary.json yet: `sluicegate eval report" in stale.stderr
