"""Run `sluicegate` as a real child process and read what it prints, always against a deadline.

Output is drained by reader threads as it arrives, so a chatty child never blocks on a full
pipe and a test can wait for a line without sleeping. Servers a test runs itself (a simulator,
a recording upstream) get their own event loop in a thread, so plain synchronous clients (the
official openai SDK, httpx, curl) can talk to both sides.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

SLUICEGATE = (sys.executable, "-m", "sluicegate")
BANNER = re.compile(r"sluicegate is listening on (http://[^\s]+)")
BANNER_END = re.compile(r"Press Ctrl\+C to stop")
START_TIMEOUT = 20.0
"""Generous: two cores shared with other work, and a cold interpreter imports aiohttp and more."""


def child_env(
    extra: Mapping[str, str] | None = None, *, unset: tuple[str, ...] = ()
) -> dict[str, str]:
    """The test's environment, made predictable: unbuffered, wide, colourless help output."""
    env = {name: value for name, value in os.environ.items() if name not in unset}
    env.update(PYTHONUNBUFFERED="1", COLUMNS="200", NO_COLOR="1", TERM="dumb")
    env.update(extra or {})
    return env


def run_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    unset: tuple[str, ...] = (),
    cwd: Path | None = None,
    timeout: float = 30.0,
) -> subprocess.CompletedProcess[str]:
    """Run a command that ends by itself (`--help`, `check-config`) and capture its output."""
    return subprocess.run(
        [*SLUICEGATE, *args],
        capture_output=True,
        text=True,
        env=child_env(env, unset=unset),
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


class Output:
    """Everything one pipe of the child has printed so far, filled by a reader thread."""

    def __init__(self, pipe: IO[str], name: str) -> None:
        self._pipe = pipe
        self._chunks: list[str] = []
        self._closed = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._drain, name=f"sluicegate-{name}", daemon=True)
        self._thread.start()

    @property
    def text(self) -> str:
        with self._changed:
            return "".join(self._chunks)

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str] | None:
        """The first match of `pattern`, or None when the pipe closes or the time is up."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = pattern.search("".join(self._chunks))
                remaining = deadline - time.monotonic()
                if found or self._closed or remaining <= 0:
                    return found
                self._changed.wait(remaining)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _drain(self) -> None:
        try:
            for line in self._pipe:
                with self._changed:
                    self._chunks.append(line)
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._closed = True
                self._changed.notify_all()


class SluicegateProcess:
    """A running `python -m sluicegate ...`; use through `sluicegate()` so it is always reaped."""

    def __init__(self, args: tuple[str, ...], env: dict[str, str], cwd: Path | None) -> None:
        self.popen = subprocess.Popen(
            [*SLUICEGATE, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
        assert self.popen.stdout is not None
        assert self.popen.stderr is not None
        self.stdout = Output(self.popen.stdout, "stdout")
        self.stderr = Output(self.popen.stderr, "stderr")

    def wait_for_banner(self, timeout: float = START_TIMEOUT) -> str:
        """The URL the process announces once it listens, after the whole banner has arrived;
        fails with the child's output otherwise."""
        deadline = time.monotonic() + timeout
        found = self.stdout.wait_for(BANNER, timeout)
        ended = self.stdout.wait_for(BANNER_END, max(deadline - time.monotonic(), 0.0))
        if found is None or ended is None:
            raise AssertionError(
                f"no banner within {timeout:g} s (exit code {self.popen.poll()});\n"
                f"stdout:\n{self.stdout.text}\nstderr:\n{self.stderr.text}"
            )
        return found.group(1)

    def wait_for_stderr(self, pattern: str, timeout: float = START_TIMEOUT) -> re.Match[str]:
        found = self.stderr.wait_for(re.compile(pattern), timeout)
        if found is None:
            raise AssertionError(f"stderr never matched {pattern!r}:\n{self.stderr.text}")
        return found

    def terminate(self) -> None:
        self.popen.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        """The exit code; fails (the teardown then kills the child) if it is still running."""
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"still running after {timeout:g} s;\nstderr:\n{self.stderr.text}"
            ) from None

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(10)
        self.stdout.join(5)
        self.stderr.join(5)
        for pipe in (self.popen.stdout, self.popen.stderr):
            if pipe is not None:
                pipe.close()


@contextmanager
def sluicegate(
    *args: str,
    env: Mapping[str, str] | None = None,
    unset: tuple[str, ...] = (),
    cwd: Path | None = None,
) -> Iterator[SluicegateProcess]:
    """Start `sluicegate ARGS`; on the way out, kill it if it still runs and wait for it."""
    process = SluicegateProcess(args, child_env(env, unset=unset), cwd)
    try:
        yield process
    finally:
        process.close()


def refuses_connections(url: str, timeout: float) -> bool:
    """Poll until a new TCP connection to `url`'s port is refused; False if it never is."""
    host, _, port = url.removeprefix("http://").rstrip("/").rpartition(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=0.5):
                pass
        except ConnectionRefusedError:
            return True
        except OSError:
            pass
        time.sleep(0.02)  # a poll interval inside a bounded loop, not a wait for a race
    return False


class AsyncServer(Protocol):
    async def start(self) -> str: ...

    async def stop(self) -> None: ...


@contextmanager
def serve_in_thread(make: Callable[[], AsyncServer], timeout: float = 10.0) -> Iterator[str]:
    """Build and start `make()`'s server on its own event loop in a thread; yield its URL.

    The server is built on that loop, so anything it binds to the running loop is bound there.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="e2e-server", daemon=True)
    thread.start()
    holder: list[AsyncServer] = []

    async def start() -> str:
        holder.append(make())
        return await holder[0].start()

    try:
        yield asyncio.run_coroutine_threadsafe(start(), loop).result(timeout)
    finally:
        if holder:
            asyncio.run_coroutine_threadsafe(holder[0].stop(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        loop.close()
