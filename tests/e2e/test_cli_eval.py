"""`sluicegate eval` as a real process against the simulator: two local prompty versions, the
run directory's numbers, resuming after the process is killed, retries on the simulator's 429s,
the fail-if-worse exit code, and the HTML report rendered by headless Chromium."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.browser import render
from tests.e2e.processes import run_cli, serve_in_thread, sluicegate
from tests.local_model import require_local_model
from tests.prompt_texts import question_prompt

from sluicegate.config.simulator import SimulatorConfig
from sluicegate.simulator.server import SimulatorServer

pytestmark = pytest.mark.e2e

ITEMS = 30
WORDS = 12
LONG = r"long=regex:(\S+\s+){4}\S+"
"""Passes an answer of five words or more: v1 (max_tokens 30) always, v2 (max_tokens 3) never."""


def simulator() -> SimulatorServer:
    completion = {"mean_tokens": WORDS, "spread": 0}
    return SimulatorServer(
        SimulatorConfig.model_validate(
            {
                "port": 0,
                "deployments": [
                    {"name": "m", "completion": completion},
                    {"name": "slow", "latency": {"ttft_ms": 80}, "completion": completion},
                    {
                        "name": "ptu",
                        "kind": "ptu",
                        "capacity_tpm": 12_000,
                        "window_seconds": 1,
                        "completion": completion,
                    },
                ],
            }
        )
    )


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with serve_in_thread(simulator) as url:
        yield url


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    dataset = tmp_path / "qa.jsonl"
    dataset.write_text(
        "\n".join(
            json.dumps({"id": f"q{i}", "question": f"What is {i} + {i}?", "expected": str(2 * i)})
            for i in range(ITEMS)
        )
    )
    v1 = tmp_path / "v1.prompty"
    v1.write_text(question_prompt("qa", 30, "Answer with care."))
    v2 = tmp_path / "v2.prompty"
    v2.write_text(question_prompt("qa", 3, "Answer in three words."))
    prices = tmp_path / "prices.yaml"
    prices.write_text("m:\n  input_per_1m: 1\n  output_per_1m: 2\n")
    return {"dataset": dataset, "v1": v1, "v2": v2, "prices": prices}


def eval_cli(*args: str, cwd: Path, timeout: float = 120) -> tuple[int, str, str]:
    done = run_cli("eval", *args, cwd=cwd, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


def results(run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]


def test_two_versions_compared_with_costs_reports_and_the_gate(
    sim_url: str, files: dict[str, Path], tmp_path: Path
) -> None:
    run = tmp_path / "run"
    report = tmp_path / "report.html"
    code, out, err = eval_cli(
        "run", "--dataset", str(files["dataset"]), "--prompt", "v1.prompty",
        "--prompt", "v2.prompty", "--model", "m", "--target", sim_url, "--out", str(run),
        "-e", f"{LONG},f1", "-e", "rouge_l", "--prices", str(files["prices"]),
        "--report", str(report), "--fail-if-worse", "long", "--concurrency", "4",
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 1, err
    assert "FAIL: v2.prompty is significantly worse than v1.prompty on long (1 -> 0, n=30)" in err
    assert "Candidates against the baseline" in out
    lines = results(run)
    assert len(lines) == 2 * ITEMS
    assert Counter(line["prompt"] for line in lines) == {"v1.prompty": ITEMS, "v2.prompty": ITEMS}
    for line in lines:
        assert line["error"] is None
        assert line["usage"]["completion_tokens"] == (
            WORDS if line["prompt"] == "v1.prompty" else 3
        )
        assert len(line["answer"].split()) == line["usage"]["completion_tokens"]
        assert line["scores"]["long"]["passed"] is (line["prompt"] == "v1.prompty")
        assert set(line["scores"]) == {"long", "f1", "rouge_l"}
    summary = json.loads((run / "summary.json").read_text())
    base, cand = summary["prompts"]
    assert (base["metrics"]["long"]["mean"], cand["metrics"]["long"]["mean"]) == (1.0, 0.0)
    for prompt in summary["prompts"]:
        mine = [line for line in lines if line["prompt"] == prompt["spec"]]
        assert prompt["answered"] == ITEMS
        assert prompt["tokens"]["total"] == sum(line["usage"]["total_tokens"] for line in mine)
        cost = sum(
            line["usage"]["prompt_tokens"] * 1 + line["usage"]["completion_tokens"] * 2
            for line in mine
        )
        assert prompt["cost_usd"]["total"] == pytest.approx(cost / 1e6)
        (version,) = prompt["resolved_versions"]
        assert version.startswith(f"{prompt['spec']}#")
    (long,) = [c for c in summary["comparisons"] if c["metric"] == "long"]
    assert (long["n"], long["losses"], long["verdict"]) == (ITEMS, ITEMS, "worse")
    assert long["p_value"] < 0.001
    assert summary["gate"]["candidates"][0]["worse_on"] == ["long"]
    assert summary["gate"]["complete"] is True

    page = render(report)
    assert page.headings[1:] == [
        "Run", "Quality by version", "Candidates against the baseline",
        "Cost, tokens and latency", "Where the versions disagree", "Answers side by side",
    ]  # fmt: skip
    assert "worse" in page.text
    assert "-100.0 pp" in page.text
    assert "30 item(s) where a pass/fail metric differs" in page.text
    assert page.blocked_requests == []
    assert page.console_errors == []

    code, _, err = eval_cli("report", str(run), "--fail-if-worse", "rouge_l", cwd=tmp_path)
    assert code == 0, err
    code, _, err = eval_cli("report", str(run), "--fail-if-worse", "nope", cwd=tmp_path)
    assert code == 2
    assert "--fail-if-worse nope: the run has no such metric" in err


def test_a_killed_run_resumes_where_it_stopped(
    sim_url: str, files: dict[str, Path], tmp_path: Path
) -> None:
    run = tmp_path / "run"
    args = (
        "eval", "run", "--dataset", str(files["dataset"]), "--prompt", "v1.prompty",
        "--prompt", "v2.prompty", "--model", "slow", "--target", sim_url, "--out", str(run),
        "-e", LONG, "--concurrency", "1", "--no-progress",
    )  # fmt: skip
    before = httpx.get(f"{sim_url}/sim/stats").json()["deployments"]["slow"]["requests"]
    with sluicegate(*args, cwd=tmp_path) as process:
        deadline = time.monotonic() + 60
        while not (run / "results.jsonl").exists() or len(results(run)) < 6:
            assert time.monotonic() < deadline, process.stderr.text
            assert process.popen.poll() is None, process.stderr.text
            time.sleep(0.02)  # polling a file the child writes, in a bounded loop
        process.popen.send_signal(signal.SIGKILL)
        process.wait(10)
    kept = len(results(run))
    assert 6 <= kept < 2 * ITEMS
    code, _, err = eval_cli(*args[1:], cwd=tmp_path)
    assert code == 0, err
    assert f"resumed: {kept} of {2 * ITEMS} answers were already in" in err
    lines = results(run)
    assert len(lines) == 2 * ITEMS  # nothing answered twice
    assert len({(line["item"], line["prompt"]) for line in lines}) == 2 * ITEMS
    sent = httpx.get(f"{sim_url}/sim/stats").json()["deployments"]["slow"]["requests"] - before
    assert 2 * ITEMS <= sent <= 2 * ITEMS + 1  # at most the one in flight at the kill again


def test_429s_are_retried_as_the_simulator_asks(
    sim_url: str, files: dict[str, Path], tmp_path: Path
) -> None:
    run = tmp_path / "run"
    before = httpx.get(f"{sim_url}/sim/stats").json()["deployments"]["ptu"]["throttled"]
    code, _, err = eval_cli(
        "run", "--dataset", str(files["dataset"]), "--prompt", "v1.prompty", "--model", "ptu",
        "--target", sim_url, "--out", str(run), "--concurrency", "8", "--retries", "30",
        "--no-progress", cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    throttled = httpx.get(f"{sim_url}/sim/stats").json()["deployments"]["ptu"]["throttled"]
    lines = results(run)
    assert all(line["error"] is None for line in lines)
    assert throttled > before
    assert sum(line["attempts"] - 1 for line in lines) == throttled - before


def test_mistakes_exit_2_with_a_message(files: dict[str, Path], tmp_path: Path) -> None:
    base = ("run", "--dataset", str(files["dataset"]), "--model", "m", "--out", str(tmp_path / "r"))
    cases = [
        ((*base, "--prompt", "qa"), "--prompt qa: name a version or label"),
        ((*base, "--prompt", "v1.prompty", "-e", "exakt"), "did you mean exact?"),
        ((*base, "--prompt", "v1.prompty", "--fail-if-worse", "f1"), "no such metric"),
        ((*base, "--prompt", "v1.prompty", "--api-key-env", "EVAL_UNSET"), "EVAL_UNSET"),
        ((*base, "--prompt", "v1.prompty", "--prompt", "v1.prompty"), "is given twice"),
        (("report", str(tmp_path)), "is not an evaluation run"),
        (("review", str(tmp_path)), "give either --export FILE or --import FILE"),
    ]
    for args, message in cases:
        code, _, err = eval_cli(*args, cwd=tmp_path)
        assert code == 2, (args, err)
        assert message in err, (args, err)
        assert "Traceback" not in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok"}\n{"query": "typo"}\n')
    code, _, err = eval_cli(
        "run", "--dataset", str(bad), "--prompt", "v1.prompty", "--model", "m",
        "--out", str(tmp_path / "r2"), cwd=tmp_path,
    )  # fmt: skip
    assert code == 2
    assert "item line-2: missing required input(s): question" in err
    assert not (tmp_path / "r2").exists()


def test_the_embedding_metric_runs_on_the_bundled_model_offline(
    sim_url: str, files: dict[str, Path], tmp_path: Path
) -> None:
    """`--embedding-model local` scores every answer on this machine: the target serves no
    model named `local`, so an embeddings call there would have left the items unscored."""
    require_local_model()
    run = tmp_path / "run"
    code, _, err = eval_cli(
        "run", "--dataset", str(files["dataset"]), "--prompt", "v1.prompty", "--model", "m",
        "--target", sim_url, "--out", str(run), "-e", "embedding", "--embedding-model", "local",
        cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert code == 0, err
    lines = results(run)
    assert len(lines) == ITEMS
    values = [line["scores"]["embedding"]["value"] for line in lines]
    assert all(isinstance(value, float) and -1.0 <= value <= 1.0 for value in values)
    assert len(set(values)) > 1
    summary = json.loads((run / "summary.json").read_text())
    (prompt,) = summary["prompts"]
    assert prompt["metrics"]["embedding"]["mean"] == pytest.approx(sum(values) / ITEMS)
