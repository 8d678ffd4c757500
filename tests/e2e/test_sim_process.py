"""`run_simulator` as the command line runs it: a real process, stopped by a signal."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp
import pytest

pytestmark = pytest.mark.e2e

SCRIPT = """
from sluicegate.config.simulator import zero_latency_config
from sluicegate.simulator import run_simulator
run_simulator(zero_latency_config(("gpt-4o-mini",)))
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_run_simulator_serves_until_signalled(signum: signal.Signals) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SCRIPT, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert "gpt-4o-mini" in line
        url = line.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{url}/v1/chat/completions",
                json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
            ) as response,
        ):
            assert response.status == 200
        process.send_signal(signum)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
