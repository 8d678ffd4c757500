"""`sluicegate feedback summary` and `sluicegate feedback export` as an operator runs them: a
real process reading a real SQLite file, filled by the feedback store or by a real gateway."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.feedback_support import feedback_stack
from tests.e2e.processes import run_cli
from tests.records import usage_record

from sluicegate.core.feedback import Rating
from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql import open_sql_stores
from sluicegate.stores.sql.feedback import SqlFeedbackStore

pytestmark = pytest.mark.e2e

DATABASE_ENV = "SLUICEGATE_DATABASE_URL"
T0 = datetime(2026, 3, 2, tzinfo=UTC)
DAY = ("--since", "2026-03-02", "--until", "2026-03-03")


def usage(request_id: str, minute: int, **fields: object) -> UsageRecord:
    return usage_record(
        request_id, T0 + timedelta(minutes=minute), **{"prompt_version": "v1", **fields}
    )


#   id   version  consumer  thumbs  score  correction
#   r1   v1       key-a     up      5
#   r2   v1       key-a     up      4
#   r3   v1       key-b     down    2      yes
#   r4   v2       key-a     down
#   r5   v2       key-b             1
#   r6   v1       key-a     down                      (the next day: outside DAY)
SEEDED: list[tuple[UsageRecord, Rating]] = [
    (usage("r1", 0), Rating("up", 5)),
    (usage("r2", 1), Rating("up", 4, comment="good")),
    (usage("r3", 2, subject="key-b"), Rating("down", 2, correction="The capital is Canberra.")),
    (usage("r4", 3, prompt_version="v2"), Rating("down", label="tone")),
    (usage("r5", 4, subject="key-b", prompt_version="v2"), Rating(score=1)),
    (usage("r6", 24 * 60 + 5), Rating("down")),
]


def seed(url: str) -> None:
    async def write() -> None:
        stores = await open_sql_stores(url)
        try:
            store = SqlFeedbackStore(stores.database)
            for request, rating in SEEDED:
                await store.rate(
                    request, request.subject, rating, request.at + timedelta(seconds=9)
                )
        finally:
            await stores.close()

    asyncio.run(write())


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("feedback")
    url = f"sqlite+aiosqlite:///{directory / 'gateway.db'}"
    seed(url)
    return directory, url


def feedback(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("feedback", *args, cwd=cwd, unset=(DATABASE_ENV,))


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    return result.stdout


def test_summary_by_prompt_version_as_json(database: tuple[Path, str]) -> None:
    cwd, url = database
    out = feedback(cwd, "summary", "--by", "prompt_version", *DAY, "-f", "json",
                   "--database-url", url)  # fmt: skip
    data: dict[str, Any] = json.loads(succeeded(out))
    assert data["by"] == ["prompt_version"]
    assert (data["since"], data["until"]) == ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")
    v1, v2 = data["rows"]
    assert v1["group"] == {"prompt_version": "v1"}
    assert (v1["ratings"], v1["thumbs_up"], v1["thumbs_down"]) == (3, 2, 1)
    assert v1["thumbs_up_rate"] == pytest.approx(0.6667)
    assert v1["thumbs_up_ci95"] == [0.2077, 0.9385]  # Wilson, 2 of 3
    assert (v1["mean_score"], v1["comments"], v1["corrections"]) == (3.6667, 1, 1)  # 11 / 3
    assert (v2["ratings"], v2["thumbs_up_rate"], v2["mean_score"]) == (2, 0.0, 1.0)
    assert data["total"]["ratings"] == 5


def test_summary_by_two_dimensions_as_csv_and_table(database: tuple[Path, str]) -> None:
    cwd, url = database
    text = succeeded(feedback(cwd, "summary", "--by", "prompt_version,consumer", *DAY, "-f",
                              "csv", "--database-url", url))  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(row["prompt_version"], row["consumer"], row["ratings"]) for row in rows] == [
        ("v1", "key-a", "2"),
        ("v1", "key-b", "1"),
        ("v2", "key-a", "1"),
        ("v2", "key-b", "1"),
        ("TOTAL", "", "5"),
    ]
    table = succeeded(feedback(cwd, "summary", "--database-url", url)).splitlines()
    assert table[0].startswith("Feedback by model, the beginning to now")
    assert table[2].split()[:2] == ["MODEL", "RATINGS"]
    assert table[3].split()[:2] == ["gpt-4o", "6"]
    assert table[-1].split()[:2] == ["TOTAL", "6"]


def test_export_writes_the_rated_items_as_jsonl(database: tuple[Path, str]) -> None:
    cwd, url = database
    target = cwd / "all.jsonl"
    said = succeeded(feedback(cwd, "export", "--out", str(target), "--database-url", url))
    assert said.strip() == f"wrote 6 rated requests to {target}"
    items = [json.loads(line) for line in target.read_text().splitlines()]
    assert [item["request_id"] for item in items] == ["r1", "r2", "r3", "r4", "r5", "r6"]
    third = items[2]
    assert {k: third[k] for k in ("model", "prompt_version", "backend", "consumer")} == {
        "model": "gpt-4o",
        "prompt_version": "v1",
        "backend": "ptu-east",
        "consumer": "key-b",
    }
    assert (third["thumbs"], third["score"], third["sentiment"]) == ("down", 2.0, "negative")
    assert third["correction"] == "The capital is Canberra."
    assert (third["input"], third["output"]) == (None, None)  # not captured


@pytest.mark.parametrize(
    ("only", "expected"),
    [("negative", ["r3", "r4", "r5"]), ("positive", ["r1", "r2"]), ("corrected", ["r3"])],
)
def test_export_keeps_one_kind_within_the_range(
    database: tuple[Path, str], only: str, expected: list[str]
) -> None:
    cwd, url = database
    target = cwd / f"{only}.jsonl"
    succeeded(feedback(cwd, "export", "-o", str(target), "--only", only, *DAY,
                       "--database-url", url))  # fmt: skip
    assert [json.loads(line)["request_id"] for line in target.read_text().splitlines()] == expected


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("summary", "--by", "key"), "cannot group feedback by 'key'"),
        (("summary", "--since", "soon"), "--since 'soon' is not a time"),
        (("summary", "--since", "2026-03-03", "--until", "2026-03-02"), "must be earlier"),
        (("summary", "-f", "xml"), "--format 'xml': use table, csv, json"),
        (("export", "--out", "x.jsonl", "--only", "angry"), "--only 'angry'"),
        (("export", "--out", "nowhere/x.jsonl"), "does not exist"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    database: tuple[Path, str], args: tuple[str, ...], says: str
) -> None:
    cwd, url = database
    result = feedback(cwd, *args, "--database-url", url)
    assert result.returncode in (1, 2), result.stdout
    assert result.stderr.startswith("error: ")
    assert says in result.stderr
    assert not (cwd / "x.jsonl").exists()


async def test_what_a_gateway_was_told_comes_out_of_the_export(tmp_path: Path) -> None:
    async with feedback_stack(tmp_path) as stack:
        request_id, _ = await stack.ask("app")
        reply = await stack.rate(
            {"request_id": request_id, "thumbs": "down", "correction": "Canberra."}
        )
        assert reply.status == 201, reply.body
    target = tmp_path / "negative.jsonl"
    result = await asyncio.to_thread(
        feedback, tmp_path, "export", "--out", str(target), "--only", "negative",
        "--database-url", stack.database_url,
    )  # fmt: skip
    succeeded(result)
    (item,) = [json.loads(line) for line in target.read_text().splitlines()]
    assert (item["request_id"], item["correction"]) == (request_id, "Canberra.")
    assert (item["model"], item["backend"], item["consumer"]) == (
        "gpt-4o",
        "ptu-east",
        stack.key_id("app"),
    )


async def test_a_captured_request_exports_with_its_prompt_and_reply(tmp_path: Path) -> None:
    async with feedback_stack(tmp_path, capture={"enabled": True}) as stack:
        async with stack.sdk("app") as client:
            raw = await client.chat.completions.with_raw_response.create(
                model="gpt-4o", messages=[{"role": "user", "content": "Capital of Australia?"}]
            )
            answer = raw.parse().choices[0].message.content
        request_id = raw.headers["x-request-id"]
        reply = await stack.rate({"request_id": request_id, "thumbs": "down"})
        assert reply.status == 201, reply.body
    target = tmp_path / "captured.jsonl"
    result = await asyncio.to_thread(
        feedback, tmp_path, "export", "--out", str(target), "--database-url", stack.database_url
    )
    succeeded(result)
    (item,) = [json.loads(line) for line in target.read_text().splitlines()]
    assert item["request_id"] == request_id
    assert item["input"]["messages"] == [{"role": "user", "content": "Capital of Australia?"}]
    assert item["output"]["choices"][0]["message"]["content"] == answer
