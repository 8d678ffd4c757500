"""`sluicegate bench` as a real process against a simulator, and its HTML report rendered by
headless Chromium with every plot present and nothing fetched from the network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.browser import render
from tests.e2e.processes import run_cli, serve_in_thread

from sluicegate.config.simulator import SimulatorConfig
from sluicegate.simulator.server import SimulatorServer

pytestmark = pytest.mark.e2e


def simulator() -> SimulatorServer:
    return SimulatorServer(
        SimulatorConfig.model_validate(
            {
                "port": 0,
                "deployments": [
                    {"name": "m", "latency": {"ttft_ms": 20, "tokens_per_second": 500}},
                    {"name": "ptu", "kind": "ptu", "capacity_tpm": 6000, "window_seconds": 1},
                ],
            }
        )
    )


@pytest.fixture(scope="module")
def sim_url() -> object:
    with serve_in_thread(simulator) as url:
        yield url


def bench(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = run_cli("bench", "--no-live", *args, env=env, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_a_closed_loop_run_prints_jsonl_and_saves(sim_url: str, tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("m:\n  input_per_1m: 2.5\n  output_per_1m: 10\n")
    saved = tmp_path / "run.json"
    code, out, err = bench(
        "--url", sim_url, "--model", "m", "-c", "2", "-d", "1", "--warmup", "0.2",
        "--window", "0.5", "--shape", "custom", "--context-tokens", "100", "--max-tokens", "20",
        "--output", "jsonl", "--save", str(saved), "--prices", str(prices),
        "--api-key-env", "BENCH_KEY", env={"BENCH_KEY": "k-123"},
    )  # fmt: skip
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["type"] for line in lines[:-1]] == ["window"] * (len(lines) - 1)
    summary = lines[-1]
    assert summary["type"] == "summary"
    assert summary["completed"] > 0
    assert summary["failed"] == 0
    assert summary["cost"]["total_usd"] > 0
    assert sum(line["completed"] for line in lines[:-1]) == summary["completed"]
    assert "k-123" not in saved.read_text()
    code, human, err = bench("--from", str(saved))
    assert code == 0, err
    assert "TTFT" in human
    assert "generated TPM" in human
    assert "cost" in human


def test_an_open_loop_run_against_azure_paths_with_retries(sim_url: str, tmp_path: Path) -> None:
    code, out, err = bench(
        "--url", sim_url, "--deployment", "ptu", "--rate", "20", "--arrivals", "poisson",
        "-n", "15", "--warmup", "0", "--shape", "custom", "--context-tokens", "200",
        "--max-tokens", "10", "--retry", "exponential", "--retry-max-wait", "0.2",
        "--retry-max-attempts", "2",
    )  # fmt: skip
    assert code == 0, err
    assert "open loop, poisson arrivals at 20 req/s" in err
    assert "PTU utilization" in out
    assert "429 replies (with retried)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "m", "--rate", "5", "-c", "2"), "--concurrency is for closed loop"),
        (("--model", "m", "--output", "xml"), "--output 'xml'"),
        (("--model", "m", "--retry", "sometimes"), "--retry 'sometimes'"),
        (("--model", "m", "--shape", "huge"), "unknown shape"),
        (("--model", "m", "--api-key-env", "BENCH_UNSET_KEY"), "BENCH_UNSET_KEY"),
        (("--model", "m", "--sweep", "5:1:1"), "--sweep 5:1:1"),
        (("--model", "m", "--duration", "0"), "--duration must be above 0"),
        (("--model", "m", "--trace", "/nonexistent.jsonl"), "cannot read the trace"),
        (("--model", "m", "--prices", "/nonexistent.yaml"), "cannot read the file"),
    ],
)
def test_bad_options_exit_2_with_a_message(args: tuple[str, ...], message: str) -> None:
    code, _, err = bench("--url", "http://127.0.0.1:9", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_missing_url_and_bad_saved_runs(tmp_path: Path) -> None:
    code, _, err = bench()
    assert code == 2
    assert "--url is required" in err
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": 1}')
    code, _, err = bench("--compare", str(junk), str(junk))
    assert code == 2
    assert "not a saved benchmark run" in err


def test_a_trace_is_replayed(sim_url: str, tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    trace.write_text(
        "\n".join(
            json.dumps({"offset_ms": 100 * i, "prompt_tokens": 50 + i, "max_tokens": 5})
            for i in range(6)
        )
        + "\n"
    )
    code, out, err = bench("--url", sim_url, "--model", "m", "--trace", str(trace), "-o", "jsonl")
    assert code == 0, err
    summary = json.loads(out.splitlines()[-1])
    assert summary["completed"] == 6
    assert summary["meta"]["workload"]["requests"] == 6


def test_reports_render_in_chromium_with_every_plot(sim_url: str, tmp_path: Path) -> None:
    runs = []
    for name, clients in (("a", "1"), ("b", "3")):
        saved = tmp_path / f"{name}.json"
        code, _, err = bench(
            "--url", sim_url, "--model", "m", "-c", clients, "-d", "1", "--warmup", "0",
            "--window", "0.25", "--save", str(saved), "--label", f"run {name}",
        )  # fmt: skip
        assert code == 0, err
        runs.append(saved)
    single, both = tmp_path / "single.html", tmp_path / "both.html"
    assert bench("--from", str(runs[0]), "--report", str(single))[0] == 0
    assert bench("--compare", str(runs[0]), str(runs[1]), "--report", str(both))[0] == 0
    for page_file, title in ((single, "Benchmark: run a"), (both, "run a vs run b")):
        page = render(page_file)
        assert title in page.title
        assert len(page.images) >= 4
        assert all(image.natural_width > 0 for image in page.images), page.images
        assert {image.src_scheme for image in page.images} == {"data"}
        assert page.blocked_requests == []
        assert page.console_errors == []
        assert "TTFT" in page.text
