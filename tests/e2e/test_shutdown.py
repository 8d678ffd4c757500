"""Graceful shutdown of a real `sluicegate serve` process: SIGTERM closes the door at once,
lets in-flight streams finish within the grace period, and the process exits 0."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.e2e.processes import SluicegateProcess, refuses_connections, serve_in_thread, sluicegate

from sluicegate.config.simulator import zero_latency_config
from sluicegate.simulator.server import SimulatorServer

pytestmark = pytest.mark.e2e

MODEL = "gpt-4o-mini"
TOKENS = 20
TOKENS_PER_SECOND = 10
SLOW_STREAM = {
    "x-sim-completion-tokens": str(TOKENS),
    "x-sim-tokens-per-second": str(TOKENS_PER_SECOND),
    "x-sim-ttft-ms": "0",
}
STREAM_SECONDS = TOKENS / TOKENS_PER_SECOND


@pytest.fixture
def simulator_url() -> Iterator[str]:
    with serve_in_thread(lambda: SimulatorServer(zero_latency_config((MODEL,)))) as url:
        yield url


@contextmanager
def start_gateway(simulator_url: str, tmp_path: Path, grace: float) -> Iterator[SluicegateProcess]:
    config = tmp_path / "gateway.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            server:
              host: 127.0.0.1
              port: 0
              shutdown_grace_seconds: {grace}
            backends:
              - name: sim
                url: {simulator_url}
                api: azure
                deployment: {MODEL}
            pools:
              main:
                members: [{{backend: sim}}]
            models:
              {MODEL}:
                pool: main
            """
        ),
        encoding="utf-8",
    )
    with sluicegate("serve", "--config", str(config), "--no-auth", cwd=tmp_path) as process:
        yield process


@contextmanager
def slow_stream(
    http: httpx.Client, url: str, headers: dict[str, str] = SLOW_STREAM
) -> Iterator[httpx.Response]:
    """A streamed chat that the simulator spreads over STREAM_SECONDS (unless told otherwise)."""
    with http.stream(
        "POST",
        f"{url}/v1/chat/completions",
        json={"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "Hi"}]},
        headers=headers,
    ) as reply:
        assert reply.status_code == 200, reply.read()
        yield reply


def data_lines(reply: httpx.Response) -> Iterator[str]:
    return (line for line in reply.iter_lines() if line.startswith("data:"))


def content_chunks(lines: list[str]) -> int:
    return sum(1 for line in lines if '"content":"' in line.replace(" ", ""))


def test_sigterm_refuses_new_connections_and_lets_the_stream_finish(
    simulator_url: str, tmp_path: Path
) -> None:
    grace = 10.0
    with start_gateway(simulator_url, tmp_path, grace) as process:
        url = process.wait_for_banner()
        with (
            httpx.Client(timeout=httpx.Timeout(grace + 5)) as http,
            slow_stream(http, url) as reply,
        ):
            lines = data_lines(reply)
            first = next(lines)
            assert first.startswith("data: {")
            signalled = time.monotonic()
            process.terminate()
            assert refuses_connections(url, timeout=3.0), "still accepting after SIGTERM"
            refused_after = time.monotonic() - signalled
            rest = list(lines)
        finished_after = time.monotonic() - signalled
        assert process.wait(grace) == 0
        exited_after = time.monotonic() - signalled

    assert refused_after < STREAM_SECONDS, "the door closed only when the stream was over"
    assert rest[-1] == "data: [DONE]"
    assert content_chunks([first, *rest]) >= TOKENS - 1
    # The stream really was in flight when the signal came, not already buffered.
    assert finished_after > STREAM_SECONDS / 2
    # Once the last stream is done, the process does not sit out the rest of the grace period.
    assert exited_after < finished_after + 3.0
    assert "shutting down" in process.stderr.text


@dataclass
class CutStream:
    received: list[str]
    error: Exception | None
    ended_after: float
    """Seconds from SIGTERM to the end of the client's stream."""
    exited_after: float
    """Seconds from SIGTERM to the process's exit."""
    exit_code: int


def sigterm_during_stream(
    simulator_url: str, tmp_path: Path, grace: float, tokens: int, exit_within: float
) -> CutStream:
    """Start a stream of `tokens` at TOKENS_PER_SECOND, SIGTERM after its first chunk, drain."""
    headers = {**SLOW_STREAM, "x-sim-completion-tokens": str(tokens)}
    with start_gateway(simulator_url, tmp_path, grace) as process:
        url = process.wait_for_banner()
        received: list[str] = []
        error: Exception | None = None
        with (
            httpx.Client(timeout=httpx.Timeout(10.0)) as http,
            slow_stream(http, url, headers) as reply,
        ):
            lines = data_lines(reply)
            received.append(next(lines))
            signalled = time.monotonic()
            process.terminate()
            try:
                received.extend(lines)
            except httpx.TransportError as cut:
                error = cut
        ended_after = time.monotonic() - signalled
        exit_code = process.wait(exit_within)
        exited_after = time.monotonic() - signalled
    return CutStream(received, error, ended_after, exited_after, exit_code)


def test_grace_shorter_than_the_stream_cuts_it_and_still_exits_0(
    simulator_url: str, tmp_path: Path
) -> None:
    grace = 0.5
    result = sigterm_during_stream(simulator_url, tmp_path, grace, TOKENS, grace + 2.0)
    assert result.exit_code == 0
    assert result.exited_after < grace + 2.0
    assert result.ended_after < STREAM_SECONDS
    assert "data: [DONE]" not in result.received, f"not cut (error: {result.error!r})"
    assert content_chunks(result.received) < TOKENS


def test_stream_is_cut_when_the_grace_period_ends(simulator_url: str, tmp_path: Path) -> None:
    grace = 1.0
    result = sigterm_during_stream(simulator_url, tmp_path, grace, 40, grace + 5.0)
    assert result.exit_code == 0
    assert "data: [DONE]" not in result.received
    assert result.ended_after < grace + 0.6


def test_zero_grace_exits_at_once(simulator_url: str, tmp_path: Path) -> None:
    result = sigterm_during_stream(simulator_url, tmp_path, 0.0, 30, 10.0)
    assert result.exit_code == 0
    assert result.exited_after < 1.5
    assert "data: [DONE]" not in result.received
