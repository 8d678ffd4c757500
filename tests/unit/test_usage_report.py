"""The chargeback usage report: range parsing, PTU shares, totals and the three renderings,
on records written through the real SQL ledger (SQLite)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from tests.records import usage_record

from sluicegate.admin.usage_report import (
    ReportRow,
    UsageReport,
    parse_dimension,
    parse_report_range,
    ptu_tpm_of,
    report_as_csv,
    report_as_dict,
    report_as_table,
    usage_report,
)
from sluicegate.config.settings import GatewayConfig
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.ledger import UsageRecord
from sluicegate.stores.sql import SqlLedgerStore, SqlStores, open_sql_stores

T0 = datetime(2026, 11, 2, tzinfo=UTC)
HOUR = (T0, T0 + timedelta(hours=1))
PTU_TPM = 100
"""Over one hour: a capacity of 6,000 PTU tokens."""


def usage(request_id: str, minute: int, **fields: object) -> UsageRecord:
    return usage_record(request_id, T0 + timedelta(minutes=minute), **{"billing": "ptu", **fields})


# The totals in the tests are worked out by hand from this table; r5 lies past the end of HOUR.
#   id  min  key    team    model        backend     billing  prompt  completion  cached  cost
#   r1   0   key-a  search  gpt-4o       ptu-east    ptu        1000     200          0  0.012345678
#   r2   1   key-b  search  gpt-4o-mini  paygo-west  paygo       300     100         50  0.5
#   r3   2   key-c  ads     gpt-4o       ptu-east    ptu         500     100          0  0.25
#   r4   3   key-c  ads     gpt-4o       (none)      (none)       40       0          0  0
#   r5  60   key-a  search  gpt-4o       ptu-east    ptu        5000       0          0  1.0
RECORDS = [
    usage("r1", 0, prompt_tokens=1000, completion_tokens=200, cost=0.012345678),
    usage(
        "r2",
        1,
        subject="key-b",
        model="gpt-4o-mini",
        backend="paygo-west",
        billing="paygo",
        prompt_tokens=300,
        completion_tokens=100,
        cached_tokens=50,
        cost=0.5,
    ),
    usage(
        "r3", 2, subject="key-c", team="ads", prompt_tokens=500, completion_tokens=100, cost=0.25
    ),
    usage(
        "r4",
        3,
        subject="key-c",
        team="ads",
        backend=None,
        billing=None,
        prompt_tokens=40,
        status=502,
    ),
    usage("r5", 60, prompt_tokens=5000, cost=1.0),
]


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[SqlStores]:
    opened = await open_sql_stores(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def ledger(stores: SqlStores) -> SqlLedgerStore:
    await stores.ledger.write_batch(RECORDS)
    return stores.ledger


def numbers(row: ReportRow) -> tuple[object, ...]:
    return (
        row.group,
        row.requests,
        row.prompt_tokens,
        row.completion_tokens,
        row.cached_tokens,
        row.total_tokens,
        pytest.approx(row.cost_usd),
        row.ptu_tokens,
        None if row.ptu_share is None else pytest.approx(row.ptu_share),
    )


# --- building the report -------------------------------------------------------------------------


async def test_rows_shares_and_total_by_team(ledger: SqlLedgerStore) -> None:
    report = await usage_report(ledger, "team", *HOUR, ptu_tpm=PTU_TPM)
    assert report.ptu_capacity_tokens == 6000
    assert (report.by, report.since, report.until) == ("team", *HOUR)
    assert [numbers(row) for row in report.rows] == [
        ("ads", 2, 540, 100, 0, 640, 0.25, 600, 0.1),
        ("search", 2, 1300, 300, 50, 1600, 0.512345678, 1200, 0.2),
    ]
    assert numbers(report.total) == (None, 4, 1840, 400, 50, 2240, 0.762345678, 1800, 0.3)


@pytest.mark.parametrize(
    ("by", "groups", "ptu_tokens"),
    [
        ("key", ["key-a", "key-b", "key-c"], [1200, 0, 600]),
        ("model", ["gpt-4o", "gpt-4o-mini"], [1800, 0]),
        ("backend", ["paygo-west", "ptu-east", None], [0, 1800, 0]),
    ],
)
async def test_every_dimension_groups_its_own_way(
    ledger: SqlLedgerStore, by: Any, groups: list[str | None], ptu_tokens: list[int]
) -> None:
    report = await usage_report(ledger, by, *HOUR, ptu_tpm=PTU_TPM)
    assert [row.group for row in report.rows] == groups
    assert [row.ptu_tokens for row in report.rows] == ptu_tokens
    assert [row.ptu_share for row in report.rows] == [
        pytest.approx(tokens / 6000) for tokens in ptu_tokens
    ]
    assert report.total.requests == 4
    assert report.total.ptu_tokens == 1800


async def test_without_a_capacity_there_are_no_shares(ledger: SqlLedgerStore) -> None:
    report = await usage_report(ledger, "team", *HOUR)
    assert report.ptu_capacity_tokens is None
    assert [row.ptu_share for row in (*report.rows, report.total)] == [None, None, None]
    assert report.total.ptu_tokens == 1800


async def test_the_range_includes_its_start_and_excludes_its_end(ledger: SqlLedgerStore) -> None:
    report = await usage_report(
        ledger, "key", T0 + timedelta(minutes=1), T0 + timedelta(minutes=60), ptu_tpm=PTU_TPM
    )
    # r2 (minute 1) to r4 (minute 3); r5 at minute 60 is the excluded end. 59 minutes of capacity.
    assert report.ptu_capacity_tokens == 5900
    assert [(row.group, row.requests) for row in report.rows] == [("key-b", 1), ("key-c", 2)]
    assert report.total.ptu_tokens == 600


async def test_capacity_counts_fractions_of_a_minute(ledger: SqlLedgerStore) -> None:
    report = await usage_report(ledger, "team", T0, T0 + timedelta(seconds=90), ptu_tpm=PTU_TPM)
    assert report.ptu_capacity_tokens == 150
    assert report.total.ptu_tokens == 1200
    assert report.total.ptu_share == pytest.approx(8.0)  # more than the capacity: over-use shows


async def test_times_are_reported_in_utc(ledger: SqlLedgerStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    since = datetime(2026, 11, 2, 2, 0, tzinfo=plus_two)
    report = await usage_report(ledger, "team", since, since + timedelta(hours=1))
    assert report.since == T0
    assert report.since.utcoffset() == timedelta(0)
    assert report.total.requests == 4


async def test_an_empty_range_gives_zero_totals(stores: SqlStores) -> None:
    report = await usage_report(stores.ledger, "model", *HOUR, ptu_tpm=PTU_TPM)
    assert report.rows == []
    assert numbers(report.total) == (None, 0, 0, 0, 0, 0, 0.0, 0, 0.0)


async def test_bad_arguments_are_refused(stores: SqlStores) -> None:
    ledger = stores.ledger
    with pytest.raises(InvalidRequest, match="cannot group usage by 'region'") as bad_by:
        await usage_report(ledger, "region", *HOUR)  # type: ignore[arg-type]
    assert bad_by.value.param == "by"
    assert bad_by.value.status == 400
    with pytest.raises(InvalidRequest, match="must be earlier than") as backwards:
        await usage_report(ledger, "team", HOUR[1], HOUR[0])
    assert backwards.value.param == "from"
    with pytest.raises(InvalidRequest):
        await usage_report(ledger, "team", T0, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        await usage_report(ledger, "team", datetime(2026, 11, 1), T0)
    with pytest.raises(ValueError, match="ptu_tpm"):
        await usage_report(ledger, "team", *HOUR, ptu_tpm=0)


def gateway_config(*backends: dict[str, object]) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {
            "backends": list(backends),
            "pools": {"main": {"members": [{"backend": b["name"]} for b in backends]}},
            "models": {"gpt-4o": {"pool": "main"}},
        }
    )


def test_ptu_capacity_is_the_tpm_of_the_ptu_backends() -> None:
    config = gateway_config(
        {"name": "ptu-east", "url": "http://east", "kind": "ptu", "tpm": 120_000},
        {"name": "ptu-west", "url": "http://west", "kind": "ptu", "tpm": 30_000},
        {"name": "ptu-new", "url": "http://new", "kind": "ptu"},
        {"name": "paygo", "url": "http://paygo", "kind": "paygo", "tpm": 1_000_000},
    )
    assert ptu_tpm_of(config) == 150_000


def test_without_a_ptu_tpm_the_capacity_is_unknown() -> None:
    config = gateway_config(
        {"name": "ptu-east", "url": "http://east", "kind": "ptu"},
        {"name": "paygo", "url": "http://paygo", "tpm": 1_000_000},
    )
    assert ptu_tpm_of(config) is None


# --- parsing the range and the dimension ---------------------------------------------------

NOW = datetime(2026, 11, 25, 13, 12, 46, 500_000, tzinfo=UTC)


def test_the_default_range_is_this_month_until_now() -> None:
    assert parse_report_range(None, None, NOW) == (datetime(2026, 11, 1, tzinfo=UTC), NOW)
    local_now = NOW.astimezone(timezone(timedelta(hours=-8)))
    assert parse_report_range(None, None, local_now) == (datetime(2026, 11, 1, tzinfo=UTC), NOW)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-10-01", datetime(2026, 10, 1, tzinfo=UTC)),
        (" 2026-10-01 ", datetime(2026, 10, 1, tzinfo=UTC)),
        ("2026-10-01T08:30:00Z", datetime(2026, 10, 1, 8, 30, tzinfo=UTC)),
        ("2026-10-01T08:30:00+02:00", datetime(2026, 10, 1, 6, 30, tzinfo=UTC)),
        ("2026-10-01T08:30:00", datetime(2026, 10, 1, 8, 30, tzinfo=UTC)),
        ("2026-10-01 08:30", datetime(2026, 10, 1, 8, 30, tzinfo=UTC)),
        ("today", datetime(2026, 11, 25, tzinfo=UTC)),
        ("Yesterday", datetime(2026, 11, 24, tzinfo=UTC)),
    ],
)
def test_from_accepts_dates_times_and_words(text: str, moment: datetime) -> None:
    since, until = parse_report_range(text, None, NOW)
    assert since == moment
    assert since.utcoffset() == timedelta(0)
    assert until == NOW


def test_to_accepts_the_same_forms_and_now() -> None:
    assert parse_report_range("2026-11-01", "2026-11-20", NOW)[1] == datetime(
        2026, 11, 20, tzinfo=UTC
    )
    assert parse_report_range("2026-11-01", "now", NOW)[1] == NOW
    assert parse_report_range("yesterday", "today", NOW) == (
        datetime(2026, 11, 24, tzinfo=UTC),
        datetime(2026, 11, 25, tzinfo=UTC),
    )


def test_yesterday_crosses_a_month_and_a_year() -> None:
    new_year = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    assert parse_report_range("yesterday", "today", new_year)[0] == datetime(
        2026, 12, 31, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("from_text", "to_text", "param"),
    [
        ("soon", None, "from"),
        ("2026-02-30", None, "from"),
        ("", None, "from"),
        ("2026-11-01", "tomorrow-ish", "to"),
        ("2026-11-01", "1700000000", "to"),
        ("2026-11-01", "0001-01-01T00:00:00+01:00", "to"),
    ],
)
def test_what_is_not_a_time_is_refused_naming_the_parameter(
    from_text: str, to_text: str | None, param: str
) -> None:
    with pytest.raises(InvalidRequest, match="is not a time: use a date") as raised:
        parse_report_range(from_text, to_text, NOW)
    assert raised.value.param == param
    assert raised.value.status == 400


@pytest.mark.parametrize(
    ("from_text", "to_text"),
    [("2026-11-20", "2026-11-10"), ("2026-11-10", "2026-11-10"), ("2026-12-01", None)],
)
def test_an_empty_or_backwards_range_is_refused(from_text: str, to_text: str | None) -> None:
    with pytest.raises(InvalidRequest, match=r"from \(.*\) must be earlier than to") as raised:
        parse_report_range(from_text, to_text, NOW)
    assert raised.value.param == "from"


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_report_range(None, None, datetime(2026, 11, 25))


def test_dimensions() -> None:
    assert [parse_dimension(name) for name in ("team", "key", "model", "backend")] == [
        "team",
        "key",
        "model",
        "backend",
    ]
    with pytest.raises(InvalidRequest, match="use one of: team, key, model, backend") as raised:
        parse_dimension("Team")
    assert raised.value.param == "by"


# --- rendering -----------------------------------------------------------------------------------


async def test_json_is_data_a_client_can_read_back(ledger: SqlLedgerStore) -> None:
    report = await usage_report(ledger, "backend", *HOUR, ptu_tpm=PTU_TPM)
    data = json.loads(json.dumps(report_as_dict(report)))
    assert data["by"] == "backend"
    assert (data["from"], data["to"]) == ("2026-11-02T00:00:00Z", "2026-11-02T01:00:00Z")
    assert data["ptu_capacity_tokens"] == 6000
    assert [row["group"] for row in data["rows"]] == ["paygo-west", "ptu-east", None]
    assert data["rows"][1] == {
        "group": "ptu-east",
        "requests": 2,
        "prompt_tokens": 1500,
        "completion_tokens": 300,
        "cached_tokens": 0,
        "total_tokens": 1800,
        "cost_usd": 0.262346,  # 0.262345678 kept to a millionth of a dollar
        "ptu_tokens": 1800,
        "ptu_share": 0.3,
    }
    assert data["total"]["group"] is None
    assert data["total"]["cost_usd"] == 0.762346
    assert data["total"]["requests"] == 4


async def test_json_without_a_capacity_has_null_shares(ledger: SqlLedgerStore) -> None:
    data = report_as_dict(await usage_report(ledger, "team", *HOUR))
    assert data["ptu_capacity_tokens"] is None
    assert [row["ptu_share"] for row in data["rows"]] == [None, None]
    assert data["total"]["ptu_share"] is None


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_csv_has_a_header_the_rows_and_a_total(ledger: SqlLedgerStore) -> None:
    text = report_as_csv(await usage_report(ledger, "team", *HOUR, ptu_tpm=PTU_TPM))
    assert text.splitlines()[0] == (
        "team,requests,prompt_tokens,completion_tokens,cached_tokens,total_tokens,cost_usd,"
        "ptu_tokens,ptu_share"
    )
    rows = read_csv(text)
    assert [row["team"] for row in rows] == ["ads", "search", "TOTAL"]
    assert rows[1] == {
        "team": "search",
        "requests": "2",
        "prompt_tokens": "1300",
        "completion_tokens": "300",
        "cached_tokens": "50",
        "total_tokens": "1600",
        "cost_usd": "0.512346",
        "ptu_tokens": "1200",
        "ptu_share": "0.200000",
    }
    total = rows[2]
    assert (total["requests"], total["total_tokens"], total["cost_usd"]) == (
        "4",
        "2240",
        "0.762346",
    )
    assert float(total["ptu_share"]) == pytest.approx(0.3)
    assert sum(int(row["requests"]) for row in rows[:-1]) == int(total["requests"])


async def test_csv_leaves_unknown_cells_empty(ledger: SqlLedgerStore) -> None:
    rows = read_csv(report_as_csv(await usage_report(ledger, "backend", *HOUR)))
    assert [row["backend"] for row in rows] == ["paygo-west", "ptu-east", "", "TOTAL"]
    assert {row["ptu_share"] for row in rows} == {""}
    assert rows[2]["requests"] == "1"


async def test_csv_quotes_what_needs_quoting(stores: SqlStores) -> None:
    await stores.ledger.write_batch([usage("q", 0, team='search, "beta"', prompt_tokens=7)])
    rows = read_csv(report_as_csv(await usage_report(stores.ledger, "team", *HOUR)))
    assert [row["team"] for row in rows] == ['search, "beta"', "TOTAL"]


async def test_an_empty_csv_still_has_its_header_and_total(stores: SqlStores) -> None:
    rows = read_csv(report_as_csv(await usage_report(stores.ledger, "key", *HOUR)))
    assert len(rows) == 1
    assert rows[0]["key"] == "TOTAL"
    assert rows[0]["requests"] == "0"


async def test_the_table_is_aligned_with_a_total_line(ledger: SqlLedgerStore) -> None:
    text = report_as_table(await usage_report(ledger, "backend", *HOUR, ptu_tpm=PTU_TPM))
    lines = text.splitlines()
    assert lines[0] == "Usage by backend, 2026-11-02 00:00 to 2026-11-02 01:00 (UTC, end exclusive)"
    assert lines[1] == "PTU capacity: 6,000 tokens"
    table = lines[3:]
    assert table[0].split()[:2] == ["BACKEND", "REQUESTS"]
    assert [line.split()[0] for line in table] == [
        "BACKEND",
        "paygo-west",
        "ptu-east",
        "(no",
        "------------",
        "TOTAL",
    ]
    assert table[3].startswith("(no backend) ")
    assert len({len(line) for line in table}) == 1, "every line is as wide as the others"
    ptu_east = table[2].split()
    assert ptu_east == ["ptu-east", "2", "1,500", "300", "0", "1,800", "0.2623", "1,800", "30.00%"]
    assert table[-1].split() == [
        "TOTAL",
        "4",
        "1,840",
        "400",
        "50",
        "2,240",
        "0.7623",
        "1,800",
        "30.00%",
    ]
    # Numbers are right-aligned: each ends where its heading ends.
    assert table[1].index("1") + 1 == table[0].index("REQUESTS") + len("REQUESTS")


async def test_the_table_without_capacity_or_usage(stores: SqlStores) -> None:
    text = report_as_table(await usage_report(stores.ledger, "team", *HOUR))
    assert "PTU capacity: unknown" in text
    assert "No usage recorded in this range." in text
    assert "TOTAL" not in text


def test_the_table_shows_odd_names_as_data_and_seconds_when_there_are_some() -> None:
    row = ReportRow("evil\nname", 1, 1, 0, 0, 1, 0.0, 0, None)
    report = UsageReport("team", *HOUR, rows=[row], total=row, ptu_capacity_tokens=None)
    lines = report_as_table(report).splitlines()
    assert lines[4].startswith("'evil\\nname'")
    assert len(lines) == 7
    later = replace(report, until=T0 + timedelta(seconds=90))
    assert report_as_table(later).startswith(
        "Usage by team, 2026-11-02 00:00 to 2026-11-02 00:01:30 "
    )
