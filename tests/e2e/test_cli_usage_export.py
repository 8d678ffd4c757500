"""`sluicegate usage export` end to end: traffic through a real gateway process on the
simulator, its ledger exported by the command and by the admin API, and the file fed as it is
to `sluicegate bench --trace` (against the simulator) and to `sluicegate plan --usage`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from tests.e2e.processes import run_cli, serve_in_thread, sluicegate

from sluicegate.config.simulator import SimulatorConfig
from sluicegate.core.identity import KeyRecord, Role
from sluicegate.policies.api_keys import generate_key, hash_key
from sluicegate.simulator.server import SimulatorServer
from sluicegate.stores.sql import open_sql_stores

pytestmark = pytest.mark.e2e

MODEL = "gpt-4o"
DATABASE_ENV = "SLUICEGATE_DATABASE_URL"
MARK = "zebra"
"""A word every prompt holds, so a leaked prompt would show in the export."""
# (team, prompt words, max_tokens, stream) of each request, in the order sent.
TRAFFIC = [
    ("search", 10, 5, False),
    ("search", 40, 12, True),
    ("ads", 80, 3, False),
    ("search", 120, 20, True),
    ("ads", 200, 7, True),
    ("search", 15, 9, False),
    ("ads", 60, 16, False),
    ("search", 300, 4, True),
]
SIMULATOR = SimulatorConfig.model_validate(
    {
        "port": 0,
        "deployments": [
            {
                "name": "sim",
                "model": MODEL,
                "latency": {"ttft_ms": 1, "tokens_per_second": 5000},
                # Longer than any max_tokens: every reply is exactly max_tokens long.
                "completion": {"mean_tokens": 10_000, "spread": 0},
            }
        ],
    }
)


@dataclass(frozen=True)
class Recorded:
    """The gateway's ledger after TRAFFIC and one failed request, and how to reach it."""

    cwd: Path
    database_url: str
    simulator_url: str
    gateway_url: str
    started: datetime
    keys: dict[str, str]
    """A key per team, and `operator`."""
    key_ids: dict[str, str]


def add_keys(database_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """An app key per team and an operator key, stored as `sluicegate keys create` does."""
    keys: dict[str, str] = {}
    ids: dict[str, str] = {}

    async def add() -> None:
        stores = await open_sql_stores(database_url)
        try:
            for name, role in (("search", Role.APP), ("ads", Role.APP), ("ops", Role.OPERATOR)):
                key, key_id = generate_key()
                await stores.keys.add(KeyRecord(key_id, hash_key(key), name, name, role))
                keys["operator" if role is Role.OPERATOR else name] = key
                ids[name] = key_id
        finally:
            await stores.close()

    asyncio.run(add())
    return keys, ids


def send_traffic(gateway_url: str, keys: dict[str, str]) -> None:
    clients = {
        team: openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=keys[team], max_retries=0)
        for team in ("search", "ads")
    }
    for team, words, max_tokens, stream in TRAFFIC:
        messages: Any = [{"role": "user", "content": " ".join([MARK] * words)}]
        client = clients[team]
        if stream:
            chunks = client.chat.completions.create(
                model=MODEL, messages=messages, max_tokens=max_tokens, stream=True
            )
            assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        else:
            reply = client.chat.completions.create(
                model=MODEL, messages=messages, max_tokens=max_tokens
            )
            assert reply.usage is not None
            assert reply.usage.completion_tokens == max_tokens
    # Last, as it cools the only backend down: a failure upstream, recorded as a 502.
    with pytest.raises(openai.APIStatusError) as failed:
        clients["search"].chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": MARK}],
            max_tokens=5,
            extra_headers={"x-sim-status": "500"},
        )
    assert failed.value.status_code == 502


def api_export(recorded: Recorded, query: str) -> httpx.Response:
    return httpx.get(
        f"{recorded.gateway_url}/admin/usage/records?{query}",
        headers={"Authorization": f"Bearer {recorded.keys['operator']}"},
        timeout=10,
    )


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    cwd = tmp_path_factory.mktemp("export")
    database_url = f"sqlite+aiosqlite:///{cwd / 'gateway.db'}"
    keys, key_ids = add_keys(database_url)
    with serve_in_thread(lambda: SimulatorServer(SIMULATOR)) as simulator_url:
        config = cwd / "gateway.yaml"
        config.write_text(
            json.dumps(
                {
                    "server": {"host": "127.0.0.1", "port": 0},
                    "backends": [{"name": "sim", "url": f"{simulator_url}/v1"}],
                    "pools": {"p": {"members": [{"backend": "sim"}]}},
                    "models": {MODEL: {"pool": "p"}},
                    "database_url": database_url,
                    "ledger": {"flush_interval_seconds": 0.05},
                }
            )
        )
        with sluicegate("serve", "--config", str(config), cwd=cwd, unset=(DATABASE_ENV,)) as gw:
            gateway_url = gw.wait_for_banner()
            started = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
            send_traffic(gateway_url, keys)
            result = Recorded(cwd, database_url, simulator_url, gateway_url, started, keys, key_ids)
            # The ledger writer stores records in batches; wait (bounded) until all are there.
            deadline = time.monotonic() + 10
            since = started.isoformat().replace("+00:00", "Z")
            while api_export(result, f"from={since}").text.count("\n") < len(TRAFFIC) + 1:
                assert time.monotonic() < deadline, "the ledger never held every request"
                time.sleep(0.05)  # a poll interval inside a bounded loop
            yield result


def export(recorded: Recorded, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "usage", "export", "--database-url", recorded.database_url, *args,
        cwd=recorded.cwd, unset=(DATABASE_ENV,),
    )  # fmt: skip


def exported(recorded: Recorded, name: str, *args: str) -> tuple[Path, list[dict[str, Any]]]:
    """Export into `name` with the command (from the start of the traffic to now)."""
    path = recorded.cwd / name
    since = recorded.started.isoformat().replace("+00:00", "Z")
    done = export(recorded, "--from", since, "--to", "now", "-o", str(path), *args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert (
        done.stdout
        == f"wrote {len(lines)} usage record{'s' if len(lines) != 1 else ''} to {path}\n"
    )
    return path, lines


def served(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if 200 <= line["status"] < 300]


def test_every_request_is_one_line_with_what_it_was_charged(recorded: Recorded) -> None:
    path, lines = exported(recorded, "usage.jsonl")
    assert len(lines) == len(TRAFFIC) + 1
    times = [datetime.fromisoformat(line["timestamp"]) for line in lines]
    assert times == sorted(times)
    assert all(line["timestamp"].endswith("Z") for line in lines)
    assert [(x["team"], x["completion_tokens"], x["stream"]) for x in lines[:-1]] == [
        (team, max_tokens, stream) for team, _, max_tokens, stream in TRAFFIC
    ]
    prompts = [line["prompt_tokens"] for line in lines[:-1]]
    by_words = sorted(range(len(TRAFFIC)), key=lambda i: TRAFFIC[i][1])
    assert [prompts[i] for i in by_words] == sorted(prompts)  # longer prompts, more tokens
    assert all(prompt >= words for prompt, (_, words, _, _) in zip(prompts, TRAFFIC, strict=True))
    for line, (team, *_) in zip(lines, TRAFFIC, strict=False):
        assert (line["model"], line["backend"], line["status"]) == (MODEL, "sim", 200)
        assert line["subject"] == recorded.key_ids[team]
        assert line["latency_ms"] > 0
        assert (line["ttft_ms"] is not None) == line["stream"]  # a first byte, of streams
    failed = lines[-1]
    assert (failed["status"], failed["backend"], failed["prompt_tokens"]) == (502, None, 0)
    text = path.read_text()
    assert MARK not in text  # no captured text
    assert not any(key in text for key in recorded.keys.values())  # no secrets


def test_the_admin_api_answers_the_same_lines(recorded: Recorded) -> None:
    path, _ = exported(recorded, "same.jsonl")
    since = recorded.started.isoformat().replace("+00:00", "Z")
    response = api_export(recorded, f"from={since}&to=now")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.content == path.read_bytes()


def test_filters_and_standard_output(recorded: Recorded) -> None:
    _, ads = exported(recorded, "ads.jsonl", "--team", "ads")
    assert [line["completion_tokens"] for line in ads] == [
        max_tokens for team, _, max_tokens, _ in TRAFFIC if team == "ads"
    ]
    since = recorded.started.isoformat()
    done = export(recorded, "--from", since, "--model", MODEL, "--limit", "2")
    assert done.returncode == 0, done.stderr
    first_two = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["completion_tokens"] for line in first_two] == [5, 12]
    none = export(recorded, "--from", since, "--model", "no-such-route")
    assert (none.returncode, none.stdout) == (0, "")


def test_bench_replays_the_export_against_the_simulator(recorded: Recorded) -> None:
    path, lines = exported(recorded, "trace.jsonl")
    done = run_cli(
        "bench", "--no-live", "--url", recorded.simulator_url, "--model", MODEL,
        "--trace", str(path), "--speed", "100", "--output", "jsonl",
        cwd=recorded.cwd, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    ok = served(lines)
    assert len(ok) == len(TRAFFIC)
    assert summary["meta"]["workload"]["requests"] == len(ok)
    assert summary["meta"]["workload"]["skipped"] == 1  # the 502
    assert (summary["completed"], summary["failed"], summary["throttled"]) == (len(ok), 0, 0)
    assert summary["generated_tokens"] == sum(line["completion_tokens"] for line in ok)
    recorded_prompt = sum(line["prompt_tokens"] for line in ok)
    assert abs(summary["prompt_tokens"] - recorded_prompt) <= 2 * len(ok)
    assert summary["usage_reported_share"] == 1.0


def test_plan_reads_the_export_as_a_usage_log(recorded: Recorded) -> None:
    path, lines = exported(recorded, "plan.jsonl")
    done = run_cli("plan", "--usage", str(path), "--output", "json", cwd=recorded.cwd, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    (plan,) = json.loads(done.stdout)["plans"]
    ok = served(lines)
    assert plan["model"] == MODEL
    assert plan["requests"] == len(ok)
    assert plan["prompt_tokens"] == sum(line["prompt_tokens"] for line in ok)
    assert plan["completion_tokens"] == sum(line["completion_tokens"] for line in ok)
    assert "1 non-2xx rows skipped" in plan["source"]


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("--from", "soon"), 2, "from 'soon' is not a time: use a date"),
        (("--from", "2026-11-05", "--to", "2026-11-01"), 2, "must be earlier than to"),
        (("--team", ""), 2, "team must name a team, not be empty"),
        (("--limit", "0"), 2, "limit must be at least 1"),
        (("-o", "no/such/dir/u.jsonl"), 1, "the directory no/such/dir does not exist"),
    ],
)
def test_bad_input_is_a_message_and_no_file(
    recorded: Recorded, args: tuple[str, ...], code: int, says: str
) -> None:
    done = export(recorded, *args)
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith("error: ")
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_missing_database_is_exit_1(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    done = run_cli(
        "usage", "export", "--database-url", f"sqlite+aiosqlite:///{missing}",
        cwd=tmp_path, unset=(DATABASE_ENV,),
    )  # fmt: skip
    assert done.returncode == 1
    assert f"there is no database at {missing}" in done.stderr
    assert not missing.exists()
