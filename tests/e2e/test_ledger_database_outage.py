"""A 30-second PostgreSQL outage under load loses no usage record and doubles none.

A real `sluicegate serve` process keeps its usage ledger on PostgreSQL, reached through a TCP
proxy (`tests/tcp_proxy.py`). The official openai SDK sends plain and streamed calls throughout;
the proxy cuts the database off for 30 s of real time, then lets it back: for the first 15 s
the database hangs (connections accepted, nothing answered, so a write in flight may have
committed without the writer hearing it), for the last 15 s it is gone (open connections reset,
new ones refused). Every call must be served as if nothing happened, and once the
writer has caught up the ledger must hold exactly one record per reply the client received,
matched by the `x-request-id` header.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam
from sqlalchemy.engine import make_url
from tests.contract.services import postgres_url
from tests.e2e.processes import sluicegate
from tests.tcp_proxy import TcpProxy

from sluicegate.config.simulator import SimulatorConfig
from sluicegate.simulator.server import SimulatorServer
from sluicegate.stores.sql import upgrade

pytestmark = pytest.mark.e2e

OUTAGE_S = 30.0
CLIENTS = 3
PAUSE_S = 0.15
"""Between one client's calls: about 20 calls a second in all, 600 over the outage."""
CATCH_UP_S = 20.0
"""The most the writer may take to empty its spool once the database is back (its back-off
is capped at 5 s, then one batch of 100 records after another)."""
MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "How do sluice gates work?"}
]


@dataclass
class Load:
    received: dict[str, float] = field(default_factory=dict)
    """Request id -> when the whole reply had arrived (monotonic)."""
    failures: list[str] = field(default_factory=list)
    slowest_s: float = 0.0


@dataclass(frozen=True)
class FreshDatabase:
    url: str
    """Direct to the server: what the test reads through."""
    dsn: str
    """The same, for asyncpg."""


@pytest.fixture
async def fresh_database() -> AsyncIterator[FreshDatabase]:
    """An empty database of its own on the test server, migrated, dropped afterwards."""
    server = make_url(postgres_url())
    name = f"sgtest_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = server.set(database=name).render_as_string(hide_password=False)
        await upgrade(url)
        try:
            yield FreshDatabase(
                url,
                server.set(drivername="postgresql", database=name).render_as_string(
                    hide_password=False
                ),
            )
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def ledger_ids(dsn: str) -> dict[str, int]:
    """Request id -> how many ledger records carry it."""
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        rows = await connection.fetch(
            "SELECT request_id, count(*) AS n FROM usage_records GROUP BY request_id"
        )
    finally:
        await connection.close()
    return {row["request_id"]: row["n"] for row in rows}


async def call(client: AsyncOpenAI, stream: bool) -> str:
    """One call; its request id once the whole reply has arrived."""
    if stream:
        chunks = await client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, max_tokens=8, stream=True
        )
        finish = [c.choices[0].finish_reason async for c in chunks if c.choices]
        assert finish[-1] in {"stop", "length"}
        return chunks.response.headers["x-request-id"]
    raw = await client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=MESSAGES, max_tokens=8
    )
    assert raw.parse().choices[0].message.content
    return raw.headers["x-request-id"]


async def drive(url: str, load: Load, stop: asyncio.Event) -> None:
    async with AsyncOpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0) as client:

        async def one_client(index: int) -> None:
            stream = index % 2 == 1
            while not stop.is_set():
                began = time.monotonic()
                try:
                    request_id = await call(client, stream)
                except Exception as error:
                    load.failures.append(f"{type(error).__name__}: {error}")
                else:
                    load.received[request_id] = time.monotonic()
                load.slowest_s = max(load.slowest_s, time.monotonic() - began)
                stream = not stream
                await asyncio.sleep(PAUSE_S)  # pacing the load, not waiting for anything

        await asyncio.gather(*(one_client(i) for i in range(CLIENTS)))


async def holds_at_least(dsn: str, count: int) -> bool:
    return len(await ledger_ids(dsn)) >= count


async def holds_all(dsn: str, wanted: set[str]) -> bool:
    return wanted <= set(await ledger_ids(dsn))


async def wait_until(condition: Callable[[], Awaitable[bool]], within_s: float, what: str) -> float:
    """Poll `condition()` until it holds; the seconds it took."""
    began = time.monotonic()
    while not await condition():
        if time.monotonic() - began > within_s:
            raise AssertionError(f"{what}: not within {within_s:g} s")
        await asyncio.sleep(0.1)  # a poll interval in a bounded loop
    return time.monotonic() - began


async def test_a_30_second_database_outage_loses_and_doubles_no_record(
    fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    server = make_url(fresh_database.url)
    proxy = TcpProxy(server.host or "127.0.0.1", server.port or 5432)
    await proxy.start()
    through_proxy = server.set(host="127.0.0.1", port=proxy.port)
    simulator = SimulatorServer(
        SimulatorConfig.model_validate(
            {"port": 0, "deployments": [{"name": "sim", "model": "gpt-4o"}]}
        )
    )
    load, stop = Load(), asyncio.Event()
    try:
        simulator_url = await simulator.start()
        config = tmp_path / "gateway.json"
        config.write_text(
            json.dumps(
                {
                    "server": {"host": "127.0.0.1", "port": 0},
                    "backends": [{"name": "sim", "url": f"{simulator_url}/v1"}],
                    "pools": {"p": {"members": [{"backend": "sim"}]}},
                    "models": {"gpt-4o": {"pool": "p"}},
                    "auth": {"enabled": False},
                    "database_url": through_proxy.render_as_string(hide_password=False),
                    "ledger": {
                        "spool_dir": str(tmp_path / "spool"),
                        "flush_interval_seconds": 0.2,
                    },
                }
            )
        )
        with sluicegate("serve", "--config", str(config), cwd=tmp_path) as gateway:
            # In a thread: the proxy on this loop must serve the gateway's start-up meanwhile.
            url = await asyncio.to_thread(gateway.wait_for_banner)
            driving = asyncio.create_task(drive(url, load, stop))
            try:
                dsn = fresh_database.dsn
                await wait_until(
                    lambda: holds_at_least(dsn, 20),
                    15.0,
                    "records reaching the ledger before the outage",
                )
                # First half: the database hangs. Whatever the writer sends waits, unanswered.
                proxy.blackhole()
                cut_at = time.monotonic()
                await asyncio.sleep(1.0)  # bytes forwarded just before the cut have landed
                stored_early = len(await ledger_ids(dsn))
                await asyncio.sleep(OUTAGE_S / 2 - (time.monotonic() - cut_at))
                # Second half: the database is gone. The hung write is reset and fails, and so
                # does every retry.
                assert "usage records to the ledger failed" not in gateway.stderr.text
                await proxy.refuse()
                await asyncio.to_thread(
                    gateway.wait_for_stderr, "usage records to the ledger failed", OUTAGE_S / 2
                )
                await asyncio.sleep(OUTAGE_S - (time.monotonic() - cut_at))  # the outage's rest
                stored_late = len(await ledger_ids(dsn))
                served_in_outage = sum(cut_at <= at for at in load.received.values())
                await proxy.restore()
                restored_at = time.monotonic()
                before_restore = {rid for rid, at in load.received.items() if at < restored_at}
                caught_up = await wait_until(
                    lambda: holds_all(dsn, before_restore),
                    CATCH_UP_S,
                    "every record from before the restore reaching the ledger",
                )
                await asyncio.sleep(1.0)  # keep the load on a little past the recovery
            finally:
                stop.set()
                await driving
            await wait_until(
                lambda: holds_all(dsn, set(load.received)),
                CATCH_UP_S,
                "every record reaching the ledger",
            )
            stored = await ledger_ids(dsn)
    finally:
        await proxy.stop()
        await simulator.stop()

    print(
        f"\n{len(load.received)} replies, {served_in_outage} during the {OUTAGE_S:g} s outage; "
        f"slowest call {load.slowest_s:.2f} s; ledger caught up {caught_up:.1f} s after the "
        "database came back"
    )
    assert load.failures == []  # the outage never reached a client
    assert served_in_outage >= 300
    assert load.slowest_s < 5.0, "calls waited on the ledger database"
    assert stored_late == stored_early  # the outage was real: nothing reached the database
    assert stored_early < len(load.received)
    assert set(stored) == set(load.received)  # none lost, none invented
    assert set(stored.values()) == {1}  # none twice
