"""`sluicegate datasets …` as a real process on a real database, and `eval run --dataset
NAME@vN` reading a stored dataset from a gateway.

What the command line stores is read back through the command line and straight from the
database (the store and the audit log), so a wrong write cannot hide behind a matching read.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.database_cli import DatabaseCommands
from tests.e2e.eval_gateway_support import MODEL, eval_gateway
from tests.e2e.processes import SLUICEGATE, run_cli

from sluicegate.core.datasets import DatasetInfo
from sluicegate.core.ledger import AuditEntry
from sluicegate.stores.sql import SqlStores

pytestmark = pytest.mark.e2e

# CRLF line ends, a blank line and non-ASCII text: pull must give back exactly these bytes.
V1 = '{"id": "q1", "question": "Où est Zoë?", "expected": "ici"}\r\n\r\n{"question": "2+2?"}\r\n'
V2 = V1 + '{"inputs": {"question": "3+3?"}, "expected": 6}\n'


DATASETS = DatabaseCommands("datasets")
ok, refused = DATASETS.ok, DATASETS.refused


def stored(url: str) -> tuple[list[DatasetInfo], list[AuditEntry]]:
    async def read() -> tuple[list[DatasetInfo], list[AuditEntry]]:
        stores = SqlStores.create(url)
        try:
            infos = list(await stores.datasets.versions("qa"))
            return infos, await stores.audit.list(limit=100)
        finally:
            await stores.close()

    return asyncio.run(read())


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'datasets.db'}"


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def test_push_list_show_and_pull_byte_for_byte(url: str, tmp_path: Path) -> None:
    file = write(tmp_path / "qa.jsonl", V1)
    said = ok(url, tmp_path, "push", str(file), "--name", "qa", "--description", "first cut")
    assert said == "Pushed qa@v1 (2 items).\n"
    assert "identical to qa@v1; nothing was pushed" in ok(url, tmp_path, "push", str(file),
                                                          "--name", "qa")  # fmt: skip
    write(file, V2)
    assert ok(url, tmp_path, "push", str(file), "--name", "qa") == "Pushed qa@v2 (3 items).\n"

    pulled = subprocess.run(
        [*SLUICEGATE, "datasets", "pull", "qa@v1", "--database-url", url],
        capture_output=True, cwd=tmp_path, check=True, timeout=30,
    )  # fmt: skip
    assert pulled.stdout == V1.encode("utf-8")
    out = tmp_path / "latest.jsonl"
    assert "Wrote qa@v2" in ok(url, tmp_path, "pull", "qa", "-o", str(out))
    assert out.read_bytes() == V2.encode("utf-8")

    listed: list[dict[str, Any]] = json.loads(ok(url, tmp_path, "list", "--format", "json"))
    assert [(d["ref"], d["items"], d["author"]) for d in listed] == [("qa@v2", 3, "cli")]
    assert ok(url, tmp_path, "list").splitlines()[0].split()[:3] == ["NAME", "LATEST", "ITEMS"]
    versions = json.loads(ok(url, tmp_path, "versions", "qa", "--format", "json"))
    assert [(v["version"], v["description"]) for v in versions] == [(1, "first cut"), (2, "")]

    card = ok(url, tmp_path, "show", "qa@1", "--limit", "1")
    assert card.startswith("dataset qa@v1\n  latest:      v2\n  items:       2\n")
    assert '{"id": "q1", "question": "Où est Zoë?", "expected": "ici"}\n' in card
    assert card.endswith("… 1 more item(s)\n")
    shown = json.loads(ok(url, tmp_path, "show", "qa", "--format", "json"))
    assert [p["line"] for p in shown["preview"]] == [1, 3, 4]
    assert shown["content_hash"] == hashlib.sha256(V2.encode()).hexdigest()

    infos, audit = stored(url)
    assert [(i.version, i.items, i.author) for i in infos] == [(1, 2, "cli"), (2, 3, "cli")]
    assert [(e.actor, e.action, e.target) for e in audit] == [("cli", "dataset.push", "qa")] * 2


def test_refusals_say_what_is_wrong_and_store_nothing(url: str, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.jsonl", '{"q": 1}\n{"inputs": {"q": 1}, "question": "x"}\n')
    said = refused(url, tmp_path, 2, "push", str(bad), "--name", "qa")
    assert "not a valid dataset: line 2: unknown key(s) 'question'" in said
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"q": "Zoë"}\n'.encode("latin-1"))
    assert "is not UTF-8 text" in refused(url, tmp_path, 2, "push", str(latin), "--name", "qa")
    assert "no such file" in refused(url, tmp_path, 2, "push", "missing.jsonl", "--name", "qa")
    good = write(tmp_path / "qa.jsonl", V1)
    assert "not a dataset name" in refused(url, tmp_path, 2, "push", str(good), "--name", "a b")
    assert stored(url)[0] == []
    ok(url, tmp_path, "push", str(good), "--name", "qa")
    said = refused(url, tmp_path, 1, "show", "other")
    assert said == "error: no dataset 'other'; `sluicegate datasets list` shows the datasets\n"
    assert "has no version 5 (its latest is v1)" in refused(url, tmp_path, 1, "pull", "qa@v5")
    assert "'latest' is not a version" in refused(url, tmp_path, 2, "pull", "qa@latest")


def test_an_evaluation_reads_a_stored_dataset_from_the_gateway(tmp_path: Path) -> None:
    with eval_gateway(tmp_path) as gateway:
        file = write(tmp_path / "qa.jsonl", V1)
        env_url = gateway.database_url
        ok(env_url, tmp_path, "push", str(file), "--name", "qa")
        prompty = tmp_path / "answer.prompty"
        prompty.write_text(
            "---\ninputs:\n  question:\n    type: string\n---\nuser:\n{{question}}\n"
        )

        def run(key: str, dataset: str, out: str) -> subprocess.CompletedProcess[str]:
            return run_cli(
                "eval", "run", "--dataset", dataset, "--prompt", str(prompty), "--model", MODEL,
                "--target", f"{gateway.url}/v1", "--api-key-env", "EVAL_KEY", "--out", out,
                "-e", "f1",
                env={"EVAL_KEY": gateway.keys[key]}, cwd=tmp_path, timeout=120,
            )  # fmt: skip

        done = run("admin", "qa@v1", "run")
        assert done.returncode == 0, done.stderr
        manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
        assert manifest["dataset"]["path"] == "qa@v1"
        assert manifest["dataset"]["sha256"] == hashlib.sha256(V1.encode()).hexdigest()
        assert manifest["dataset"]["items"] == 2
        items = (tmp_path / "run" / "items.jsonl").read_text().splitlines()
        assert [json.loads(line)["id"] for line in items] == ["q1", "line-3"]

        # resuming after a new version was pushed would mix two datasets: refused
        write(file, V2)
        ok(env_url, tmp_path, "push", str(file), "--name", "qa")
        resumed = run("admin", "qa", "run")
        assert resumed.returncode == 2
        assert "holds a run of another experiment: the dataset differs" in resumed.stderr

        apps = run("app", "qa", "other-run")
        assert apps.returncode == 2
        assert "refused to show it (HTTP 403" in apps.stderr
        assert "needs an admin or operator key in --api-key-env" in apps.stderr
        missing = run("admin", "nope@v2", "other-run")
        assert missing.returncode == 2
        assert (
            f"--dataset nope@v2: no such file, and the gateway at {gateway.url}/v1 has no "
            "such dataset: no dataset 'nope'" in missing.stderr
        )
        assert not (tmp_path / "other-run").exists()
