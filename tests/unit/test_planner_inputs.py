"""Reading the planner's inputs: profiles, usage logs, capacity tables, and their errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sluicegate.planner.capacity import load_capacity_table
from sluicegate.planner.errors import PlanInputError
from sluicegate.planner.profile import load_profile, profile_demand
from sluicegate.planner.usage_log import log_demands, parse_at, read_usage_log

PROFILE = """\
model: gpt-4o
prompt_tokens: 1000
completion_tokens: 200
hours:
  - hour: 0-8
    rpm: 2
  - hour: 9-17
    rpm: 30
    peak_rpm: 60
  - hour: 18-23
    rpm: 5
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(call: object, *args: object) -> str:
    with pytest.raises(PlanInputError) as caught:
        call(*args)  # type: ignore[operator]
    return str(caught.value)


def test_a_valid_profile_becomes_a_day_of_requests(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, "p.yaml", PROFILE))
    demand = profile_demand(profile, "p")
    assert demand.minutes == 1440
    assert demand.requests == 9 * 60 * 2 + 9 * 60 * 30 + 6 * 60 * 5
    assert demand.times == sorted(demand.times)
    assert set(demand.prompt_tokens) == {1000}


def test_fractional_rates_carry_over(tmp_path: Path) -> None:
    text = PROFILE.replace("rpm: 2\n", "rpm: 0.25\n")
    demand = profile_demand(load_profile(write(tmp_path, "p.yaml", text)), "p")
    assert sum(1 for at in demand.times if at < 9 * 3600) == 9 * 60 // 4
    assert demand.times[0] == 180.0  # the first whole request is in minute 3


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("  - hour: 18-23\n", "  - hour: 19-23\n"), "hours 18 are missing"),
        (
            ("  - hour: 18-23\n", "  - hour: 17-23\n"),
            "hour 17 is given twice (hours[1] and hours[2])",
        ),
        (
            ("    peak_rpm: 60\n", "    peak_rpm: 20\n"),
            "hours[1]: peak_rpm (20) is below rpm (30), the hour's average; the peak is the "
            "busiest minutes' rate, so raise it or lower rpm (line 7)",
        ),
        (
            ("  - hour: 0-8\n", "  - hour: 0-25\n"),
            "hours[0].hour: hour must be 0-23 or a range like 9-17 with start <= end, "
            "got '0-25' (line 5)",
        ),
        (
            ("completion_tokens: 200\n", "completion_tokens: -1\n"),
            "completion_tokens: Input should be greater than or equal to 0 (line 3)",
        ),
        (("model: gpt-4o\n", "model: gpt-4o\nburst: 3\n"), "burst: is not a known setting"),
        (("    rpm: 30\n", "    rpm: lots\n"), "hours[1].rpm: Input should be a valid number"),
    ],
)
def test_profile_errors_name_the_field_and_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    assert change[0] in PROFILE
    path = write(tmp_path, "p.yaml", PROFILE.replace(change[0], change[1]))
    message = error_of(load_profile, path)
    assert message.startswith(str(path))
    assert expected in message


def test_profile_field_errors_carry_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", PROFILE.replace("    rpm: 30\n", "    rpm: lots\n"))
    assert (
        "hours[1].rpm: Input should be a valid number, unable to parse string as a number (line 8)"
        in error_of(load_profile, path)
    )


def test_a_peak_longer_than_the_hour_allows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        PROFILE.replace("peak_rpm: 60\n", "peak_rpm: 60\n    peak_minutes: 40\n"),
    )
    message = error_of(load_profile, path)
    assert "hours[1] (hour 9-17): 40 peak minutes at 60 rpm are more requests (2400)" in message
    assert "lower peak_minutes or peak_rpm" in message


def test_profile_file_errors(tmp_path: Path) -> None:
    assert "cannot read the traffic profile" in error_of(load_profile, tmp_path / "absent.yaml")
    assert "not valid YAML" in error_of(load_profile, write(tmp_path, "a.yaml", "hours: [\n"))
    assert "must be a mapping" in error_of(load_profile, write(tmp_path, "b.yaml", "- 1\n"))


CSV = """\
at,model,prompt_tokens,completion_tokens,status,team
2026-03-02 09:00:05.000000,gpt-4o,1000,200,200,search
2026-03-02 09:00:40.250000,gpt-4o-mini,300,50,200,ads
2026-03-02 09:01:00+00,gpt-4o,500,0,429,ads
2026-03-02T09:02:59Z,gpt-4o,700,100,200,search
"""


def test_a_csv_usage_log_splits_by_model_over_one_period(tmp_path: Path) -> None:
    log = read_usage_log(write(tmp_path, "u.csv", CSV))
    assert log.skipped == 1
    demands = log_demands(log)
    assert sorted(demands) == ["gpt-4o", "gpt-4o-mini"]
    gpt4o = demands["gpt-4o"]
    assert gpt4o.minutes == 3  # 09:00 to the end of 09:02
    assert gpt4o.start == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert gpt4o.times == [5.0, 179.0]
    assert gpt4o.prompt_tokens == [1000, 700]
    assert demands["gpt-4o-mini"].minutes == 3
    assert "1 non-2xx rows skipped" in gpt4o.source


def test_a_jsonl_usage_log(tmp_path: Path) -> None:
    lines = [
        {
            "at": "2026-03-02T09:00:00+01:00",
            "model": "m",
            "prompt_tokens": 5,
            "completion_tokens": 1,
        },
        {"at": 1772438400.5, "model": "m", "prompt_tokens": 7.0, "completion_tokens": "2"},
    ]
    path = write(tmp_path, "u.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n\n")
    log = read_usage_log(path)
    assert [row.at for row in log.rows] == [
        datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 8, 0, 0, 500000, tzinfo=UTC),
    ]
    assert [row.prompt_tokens for row in log.rows] == [5, 7]


def test_times_in_the_formats_databases_print() -> None:
    expected = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert parse_at("2026-03-02 09:00:00.000000") == expected  # SQLite: naive UTC
    assert parse_at("2026-03-02 09:00:00+00") == expected  # PostgreSQL
    assert parse_at("2026-03-02T10:00:00+01:00") == expected
    with pytest.raises(ValueError, match="is not a time; use ISO 8601"):
        parse_at("yesterday")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("u.csv", "at,model,prompt_tokens\n", "u.csv:1: the header lacks completion_tokens"),
        (
            "u.csv",
            CSV.replace("09:00:40.250000", "nine"),
            "u.csv:3: '2026-03-02 nine' is not a time",
        ),
        (
            "u.csv",
            CSV.replace(",300,50,", ",-3,50,"),
            "u.csv:3: prompt_tokens must not be negative",
        ),
        (
            "u.csv",
            CSV.replace(",700,100,", ",7.5,100,"),
            "u.csv:5: prompt_tokens must be a whole number",
        ),
        (
            "u.csv",
            CSV.replace(",200,search\n2026", ",200,search,extra\n2026", 1),
            "u.csv:2: more cells",
        ),
        ("u.csv", CSV.replace("gpt-4o-mini,300,50,200,ads", "gpt-4o-mini"), "u.csv:3: fewer cells"),
        (
            "u.jsonl",
            '{"at": 0, "model": "m", "prompt_tokens": 1, "completion_tokens": 1}\n{oops\n',
            "u.jsonl:2: not valid JSON",
        ),
        ("u.jsonl", "[1]\n", "u.jsonl:1: each line must be a JSON object"),
        (
            "u.jsonl",
            '{"at": 0, "model": "m"}\n',
            "u.jsonl:1: missing prompt_tokens, completion_tokens",
        ),
        (
            "u.jsonl",
            '{"at": 0, "model": "", "prompt_tokens": 1, "completion_tokens": 1}\n',
            "u.jsonl:1: model must be a non-empty name",
        ),
        ("u.txt", "x", "a usage log must be .csv or .jsonl"),
        (
            "u.csv",
            "at,model,prompt_tokens,completion_tokens,status\n2026-03-02,m,1,1,500\n",
            "no successful requests (1 rows skipped",
        ),
    ],
)
def test_usage_log_errors_name_the_line(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    message = error_of(read_usage_log, write(tmp_path, name, text))
    assert expected in message


def test_the_shipped_capacity_table_loads() -> None:
    table, source = load_capacity_table(None)
    assert source == "(shipped defaults)"
    gpt4o = table.models["gpt-4o"]
    assert (gpt4o.input_tpm_per_ptu, gpt4o.minimum_ptus, gpt4o.increment_ptus) == (2500, 15, 5)
    assert {"gpt-4o", "gpt-4o-mini", "gpt-4.1"} <= set(table.models)


def test_capacity_table_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        "models:\n  m:\n    input_tpm_per_ptu: 0\n    ptu_hour_usd: 1\n"
        "    payg_input_usd_per_million: 1\n    payg_output_usd_per_million: 1\n",
    )
    message = error_of(load_capacity_table, path)
    assert "models.m.input_tpm_per_ptu: Input should be greater than 0 (line 3)" in message
    table, source = load_capacity_table(None)
    message = error_of(table.model, "gpt-9", source)
    assert "model 'gpt-9' is not in the capacity table (shipped defaults)" in message
    assert "--capacity" in message
