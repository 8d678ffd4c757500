#!/usr/bin/env python3
"""How long does `sluicegate eval run` take for 1,000 items? Goal: under a minute.

    .venv/bin/python -m benchmarks.eval_run [--items 1000] [--concurrency 8] [--out PATH]

The simulator runs in a child process (`sluicegate simulate`, one zero-latency deployment
answering 12-token completions), and the evaluation runs as the real command in another child
process, timed from start to exit: one local prompty version, cheap evaluators (exact, f1, a
regex), a price table, results appended per item, then the summary and the terminal tables.
A second run of the same command over the finished directory times a resume that has nothing
left to send, and `eval report --report` times the HTML report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OUT = "/tmp/sluicegate-eval-run.json"
SLUICEGATE = (sys.executable, "-m", "sluicegate")
SIMULATOR = """port: {port}
deployments:
  - name: m
    latency: {{ttft_ms: 0}}
    completion: {{mean_tokens: 12, spread: 0}}
"""
PROMPTY = """---
name: qa
model:
  parameters:
    max_tokens: 20
    temperature: 0
inputs:
  question:
    type: string
  context:
    type: string
---
system:
Answer from the context only.

Context: {{context}}

user:
{{question}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def timed(args: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(
        [*SLUICEGATE, *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    return time.perf_counter() - started, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--out", default=OUT)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sluicegate-eval-bench-") as folder:
        work = Path(folder)
        port = free_port()
        (work / "sim.yaml").write_text(SIMULATOR.format(port=port))
        (work / "qa.prompty").write_text(PROMPTY)
        (work / "prices.yaml").write_text("m:\n  input_per_1m: 2.5\n  output_per_1m: 10\n")
        with (work / "data.jsonl").open("w") as file:
            for i in range(options.items):
                item = {
                    "question": f"What is {i} plus {i}?",
                    "context": f"Item {i}: the sum of {i} and {i} is {2 * i}.",
                    "expected": str(2 * i),
                }
                file.write(json.dumps(item) + "\n")
        simulator = subprocess.Popen(
            [*SLUICEGATE, "simulate", "--config", "sim.yaml", "--log-level", "warning"],
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert simulator.stdout is not None
            line = simulator.stdout.readline()
            if not re.search(r"http://127\.0\.0\.1:\d+", line):
                raise SystemExit(f"the simulator did not start: {line!r}")
            run = [
                "eval", "run", "--dataset", "data.jsonl", "--prompt", "qa.prompty",
                "--model", "m", "--target", f"http://127.0.0.1:{port}", "--out", "run",
                "-e", r"exact,f1,digits=regex:\d+", "--prices", "prices.yaml",
                "--concurrency", str(options.concurrency), "--no-progress",
            ]  # fmt: skip
            seconds, done = timed(run, work)
            if done.returncode != 0:
                raise SystemExit(f"eval run failed ({done.returncode}):\n{done.stderr}")
            resume_seconds, resumed = timed(run, work)
            report_seconds, reported = timed(
                ["eval", "report", "run", "--report", "report.html"], work
            )
            lines = (work / "run" / "results.jsonl").read_text().splitlines()
            summary = json.loads((work / "run" / "summary.json").read_text())
        finally:
            simulator.terminate()
            simulator.wait(10)
    prompt = summary["prompts"][0]
    result: dict[str, Any] = {
        "items": options.items,
        "concurrency": options.concurrency,
        "run_seconds": round(seconds, 2),
        "answers_per_second": round(options.items / seconds, 1),
        "resume_seconds": round(resume_seconds, 2),
        "report_seconds": round(report_seconds, 2),
        "results_lines": len(lines),
        "answered": prompt["answered"],
        "errors": prompt["errors"],
        "latency_p50_ms": round(prompt["latency_s"]["p50"] * 1000, 2),
        "resume_ok": resumed.returncode == 0 and reported.returncode == 0,
        "goal_met": seconds < 60 and prompt["answered"] == options.items,
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
    }
    Path(options.out).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
