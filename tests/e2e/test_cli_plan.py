"""`sluicegate plan` as a real process: profiles, a usage log exported from a real SQLite
ledger with the documented command, the plot, the HTML report in a browser, and bad input."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image
from tests.browser import render
from tests.e2e.processes import run_cli

from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql import open_sql_stores

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "planner" / "profile.yaml"

FLAT = """\
model: flat-model
prompt_tokens: 1000
completion_tokens: 100
hours:
  - hour: 0-23
    rpm: 10
"""
CAPACITY = """\
models:
  flat-model:
    input_tpm_per_ptu: 1000
    output_token_weight: 4
    minimum_ptus: 2
    increment_ptus: 5
    ptu_hour_usd: 0.01
    payg_input_usd_per_million: 1.0
    payg_output_usd_per_million: 2.0
"""


def plan(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("plan", *args, cwd=cwd, timeout=60)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_profile_planned_in_json_matches_the_hand_computation(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(FLAT, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(CAPACITY, encoding="utf-8")
    out = ok(plan("--profile", "p.yaml", "--capacity", "c.yaml", "--output", "json", cwd=tmp_path))
    (result,) = json.loads(out)["plans"]
    # 14,000 weighted tokens every minute: 14 PTUs, 2 + ceil(12 / 5) × 5 = 17 deployable.
    assert result["ptus_for_percentile"] == 17
    assert result["exact_ptus"] == pytest.approx(14.0)
    # A day costs $17.28 on PAYG; 730 / 24 days a month.
    assert result["monthly_usd"]["all_payg"] == pytest.approx(17.28 * 730 / 24)
    assert result["monthly_usd"]["all_ptu"] == pytest.approx(17 * 0.01 * 730)
    assert result["recommended_ptus"] == 17
    assert result["break_even_utilization"] == pytest.approx(0.01 / (60_000 * 17.28 / 20_160_000))
    rows = {row["ptus"]: row for row in result["rows"]}
    assert rows[0]["spill_share"] == 1.0
    assert rows[17]["spill_share"] == 0.0
    assert rows[17]["minutes_spilling"] == 0
    assert result["reasons"][0].startswith("Buy 17 PTUs")


def test_the_example_profile_with_plot_and_report(tmp_path: Path) -> None:
    result = plan(
        "--profile", str(EXAMPLE), "--plot", "cost.png", "--report", "plan.html", cwd=tmp_path
    )
    out = ok(result)
    assert "Capacity plan for gpt-4o" in out
    assert "Monthly cost by PTU count" in out
    assert "Recommendation:" in out
    assert "plot written to cost.png" in result.stderr
    assert "report written to plan.html" in result.stderr
    with Image.open(tmp_path / "cost.png") as image:
        assert image.format == "PNG"
        assert image.width > 400
    page = render(tmp_path / "plan.html")
    assert page.blocked_requests == []
    assert page.console_errors == []
    (plot,) = page.images
    assert plot.natural_width > 0
    assert plot.src_scheme == "data"
    assert "gpt-4o: recommendation" in page.headings
    assert "Break-even utilization" in page.text
    assert "Stay on PAYG" in page.text


EXPORT = "SELECT at, model, prompt_tokens, completion_tokens, status FROM usage_records ORDER BY at"
"""The export query of docs/planner.md."""


def seed_ledger(path: Path) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def record(
        index: int, minute: float, model: str, prompt: int, status: int = 200
    ) -> UsageRecord:
        return UsageRecord(
            f"r{index}",
            start + timedelta(minutes=minute),
            "key-a",
            "search",
            model,
            "b",
            status,
            prompt_tokens=prompt,
            completion_tokens=50,
        )

    records = [record(i, i * 0.5, "gpt-4o", 1000) for i in range(120)]
    records += [record(200 + i, i, "gpt-4o-mini", 300) for i in range(30)]
    records.append(record(999, 10, "gpt-4o", 0, status=429))

    async def write() -> None:
        stores = await open_sql_stores(f"sqlite+aiosqlite:///{path}")
        try:
            await stores.ledger.write_batch(records)
        finally:
            await stores.close()

    asyncio.run(write())


def test_a_usage_log_exported_from_a_real_ledger(tmp_path: Path) -> None:
    sqlite3 = shutil.which("sqlite3")
    if sqlite3 is None:
        pytest.skip("the sqlite3 command is not installed; `apt-get install sqlite3` enables it")
    seed_ledger(tmp_path / "ledger.db")
    exported = subprocess.run(
        [sqlite3, "-header", "-csv", str(tmp_path / "ledger.db"), EXPORT],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    (tmp_path / "usage.csv").write_text(exported.stdout, encoding="utf-8")
    out = ok(plan("--usage", "usage.csv", "--output", "json", cwd=tmp_path))
    plans: dict[str, Any] = {item["model"]: item for item in json.loads(out)["plans"]}
    assert sorted(plans) == ["gpt-4o", "gpt-4o-mini"]
    gpt4o = plans["gpt-4o"]
    assert gpt4o["requests"] == 120
    assert gpt4o["prompt_tokens"] == 120_000
    assert gpt4o["period_minutes"] == 60  # 09:00 to the end of 09:59 (gpt-4o-mini's last)
    assert "1 non-2xx rows skipped" in gpt4o["source"]
    # Two requests a minute of 1000 + 4 × 50: 2,400 weighted tokens, 0.96 PTU: the minimum.
    assert gpt4o["percentile_weighted_tpm"] == 2400
    assert gpt4o["ptus_for_percentile"] == 15
    assert any("covers 0.0 days" in warning for warning in gpt4o["warnings"])
    only = ok(plan("--usage", "usage.csv", "--model", "gpt-4o-mini", cwd=tmp_path))
    assert "Capacity plan for gpt-4o-mini" in only
    assert "Capacity plan for gpt-4o\n" not in only


@pytest.mark.parametrize(
    ("files", "args", "expected"),
    [
        (
            {"p.yaml": FLAT.replace("0-23", "0-22")},
            ["--profile", "p.yaml"],
            "p.yaml: 1 problem(s):\n  - (root): hours 23 are missing",
        ),
        (
            {"p.yaml": FLAT.replace("rpm: 10", "rpm: -1")},
            ["--profile", "p.yaml"],
            "hours[0].rpm: Input should be greater than or equal to 0 (line 6)",
        ),
        (
            {"p.yaml": FLAT},
            ["--profile", "p.yaml"],
            "model 'flat-model' is not in the capacity table (shipped defaults)",
        ),
        (
            {"u.csv": "at,model,prompt_tokens,completion_tokens\n2026-01-01,m,x,1\n"},
            ["--usage", "u.csv"],
            "u.csv:2: prompt_tokens must be a whole number, got 'x'",
        ),
        (
            {"p.yaml": FLAT, "u.csv": ""},
            ["--profile", "p.yaml", "--usage", "u.csv"],
            "give exactly one input",
        ),
        ({}, ["--profile", "absent.yaml"], "absent.yaml: cannot read the traffic profile"),
        (
            {"p.yaml": FLAT, "c.yaml": CAPACITY},
            ["--profile", "p.yaml", "--capacity", "c.yaml", "--output", "xml"],
            "--output must be human or json",
        ),
        (
            {"p.yaml": FLAT, "c.yaml": CAPACITY},
            ["--profile", "p.yaml", "--capacity", "c.yaml", "--report", "no/such/dir/r.html"],
            "--report no/such/dir/r.html: the directory no/such/dir does not exist",
        ),
    ],
)
def test_bad_input_exits_2_with_a_message(
    tmp_path: Path, files: dict[str, str], args: list[str], expected: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = plan(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_the_capacity_table_can_be_printed_and_edited(tmp_path: Path) -> None:
    shipped = ok(plan("--print-capacity", cwd=tmp_path))
    table = yaml.safe_load(shipped)
    assert table["models"]["gpt-4o"]["input_tpm_per_ptu"] == 2500
    table["models"]["gpt-4o"]["ptu_hour_usd"] = 0.0001  # an absurd discount: PTUs always pay
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(table), encoding="utf-8")
    out = ok(
        plan("--profile", str(EXAMPLE), "--capacity", "c.yaml", "--output", "json", cwd=tmp_path)
    )
    (result,) = json.loads(out)["plans"]
    assert result["recommended_ptus"] > 0
    assert result["monthly_usd"]["recommended"] < result["monthly_usd"]["all_payg"]


def test_plan_is_listed_in_help(tmp_path: Path) -> None:
    assert "plan" in ok(run_cli("--help", cwd=tmp_path))
    assert "--percentile" in ok(run_cli("plan", "--help", cwd=tmp_path))
