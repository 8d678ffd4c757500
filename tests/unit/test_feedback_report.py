"""Feedback summaries and exports from store totals: rates, intervals, rendering, filters and
the seam where captured prompts and completions join the export."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from sluicegate.admin.feedback_export import (
    CapturedExchange,
    export_feedback,
    parse_only,
    sentiment,
)
from sluicegate.admin.feedback_report import (
    feedback_summary,
    parse_dimensions,
    parse_time,
    summary_as_csv,
    summary_as_dict,
    summary_as_table,
    summary_row,
)
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.feedback import (
    FeedbackDimension,
    FeedbackRecord,
    FeedbackTotals,
    Rating,
)
from sluicegate.core.ledger import UsageRecord

T0 = datetime(2026, 3, 2, tzinfo=UTC)
NOW = datetime(2026, 3, 5, 15, 30, tzinfo=UTC)


def rated(n: int, **fields: object) -> FeedbackRecord:
    values: dict[str, object] = {
        "request_id": f"r{n}",
        "rater": "key-a",
        "subject": "key-a",
        "team": "search",
        "model": "gpt-4o",
        "backend": "ptu-east",
        "prompt_version": "v1",
        "request_at": T0 + timedelta(minutes=n),
        "created_at": T0 + timedelta(minutes=n, seconds=5),
        "updated_at": T0 + timedelta(minutes=n, seconds=5),
        "id": n,
    }
    values.update(fields)
    return FeedbackRecord(**values)  # type: ignore[arg-type]


class ListStore:
    """The reads the summary and the export make, over a list; counts the pages asked."""

    def __init__(
        self, records: list[FeedbackRecord], totals: list[FeedbackTotals] | None = None
    ) -> None:
        self.records = records
        self.totals = totals or []
        self.pages = 0

    async def rate(
        self, request: UsageRecord, rater: str, rating: Rating, at: datetime
    ) -> tuple[FeedbackRecord, bool]:
        raise NotImplementedError

    async def get(self, request_id: str, rater: str) -> FeedbackRecord | None:
        raise NotImplementedError

    async def summarize(
        self,
        by: Sequence[FeedbackDimension],
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[FeedbackTotals]:
        return self.totals

    async def page(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        after_id: int | None = None,
        limit: int = 1000,
    ) -> list[FeedbackRecord]:
        self.pages += 1
        chosen = [
            r
            for r in self.records
            if (since is None or r.request_at >= since)
            and (until is None or r.request_at < until)
            and (after_id is None or (r.id or 0) > after_id)
        ]
        return chosen[:limit]


# --- summaries ---------------------------------------------------------------------------------


def test_a_row_has_the_rate_its_interval_and_the_mean_score() -> None:
    row = summary_row(
        FeedbackTotals(("v2",), 12, thumbs_up=8, thumbs_down=2, scores=4, score_sum=14.0,
                       comments=3, corrections=1)
    )  # fmt: skip
    assert row.thumbs_up_rate == 0.8
    assert (round(row.thumbs_up_low or 0, 4), round(row.thumbs_up_high or 0, 4)) == (
        0.4902,
        0.9433,
    )
    assert row.mean_score == 3.5
    assert (row.ratings, row.comments, row.corrections) == (12, 3, 1)


def test_a_group_without_thumbs_or_scores_has_no_rate_and_no_mean() -> None:
    row = summary_row(FeedbackTotals(("v1",), 2, comments=2))
    assert (row.thumbs_up_rate, row.thumbs_up_low, row.thumbs_up_high) == (None, None, None)
    assert row.mean_score is None


TOTALS = [
    FeedbackTotals(("gpt-4o", "v1"), 10, 8, 2, 10, 40.0, 2, 1),
    FeedbackTotals(("gpt-4o", None), 1, 0, 1, 0, 0.0, 0, 0),
]


async def test_the_total_row_sums_every_group() -> None:
    summary = await feedback_summary(ListStore([], TOTALS), ("model", "prompt_version"))
    total = summary.total
    assert (total.ratings, total.thumbs_up, total.thumbs_down, total.scores) == (11, 8, 3, 10)
    assert total.thumbs_up_rate == pytest.approx(8 / 11)
    assert total.mean_score == 4.0
    data = summary_as_dict(summary)
    assert data["by"] == ["model", "prompt_version"]
    assert (data["since"], data["until"]) == (None, None)
    first, second = data["rows"]
    assert first["group"] == {"model": "gpt-4o", "prompt_version": "v1"}
    assert first["thumbs_up_ci95"] == [0.4902, 0.9433]
    assert second["group"] == {"model": "gpt-4o", "prompt_version": None}
    assert data["total"]["group"] == {}


async def test_csv_and_table_show_every_group_and_the_total() -> None:
    summary = await feedback_summary(
        ListStore([], TOTALS), ("model", "prompt_version"), T0, T0 + timedelta(days=1)
    )
    rows = list(csv.reader(io.StringIO(summary_as_csv(summary))))
    assert rows[0][:4] == ["model", "prompt_version", "ratings", "thumbs_up"]
    assert rows[1][:6] == ["gpt-4o", "v1", "10", "8", "2", "0.8000"]
    assert rows[2][1] == ""  # no prompt version
    assert rows[3][:3] == ["TOTAL", "", "11"]
    lines = summary_as_table(summary).splitlines()
    assert lines[0] == (
        "Feedback by model, prompt_version, 2026-03-02T00:00:00Z to 2026-03-03T00:00:00Z "
        "(request time, UTC)"
    )
    assert lines[2].split()[:3] == ["MODEL", "PROMPT_VERSION", "RATINGS"]
    assert lines[3].split()[:4] == ["gpt-4o", "v1", "10", "8"]
    assert "49%-94%" in lines[3]
    assert lines[4].split()[:2] == ["gpt-4o", "(none)"]
    assert lines[-1].split()[:2] == ["TOTAL", "11"]
    assert len({len(line) for line in lines[2:]}) == 1


async def test_an_empty_summary_says_so() -> None:
    summary = await feedback_summary(ListStore([]), ("model",))
    assert summary_as_table(summary).splitlines()[-1] == "No feedback in this range."
    with pytest.raises(InvalidRequest) as caught:
        await feedback_summary(ListStore([]), ("model",), T0, T0)
    assert caught.value.param == "since"


def test_dimensions_are_one_or_several_known_names() -> None:
    assert parse_dimensions("model") == ("model",)
    assert parse_dimensions("model, prompt_version") == ("model", "prompt_version")
    for text in ("key", "model,model", "", "model,"):
        with pytest.raises(InvalidRequest) as caught:
            parse_dimensions(text)
        assert caught.value.param == "by"


def test_times_are_dates_iso_times_or_words() -> None:
    assert parse_time("since", None, NOW) is None
    assert parse_time("since", "2026-03-01", NOW) == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_time("since", "2026-03-01T08:00:00+02:00", NOW) == datetime(
        2026, 3, 1, 6, tzinfo=UTC
    )
    assert parse_time("until", "2026-03-01T08:00:00", NOW) == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert parse_time("since", "yesterday", NOW) == datetime(2026, 3, 4, tzinfo=UTC)
    assert parse_time("until", "now", NOW) == NOW
    with pytest.raises(InvalidRequest) as caught:
        parse_time("until", "last tuesday", NOW)
    assert caught.value.param == "until"


# --- exports -----------------------------------------------------------------------------------


def test_sentiment_is_the_thumbs_else_the_score_against_the_middle() -> None:
    assert sentiment(rated(1, thumbs="down", score=5.0), 3.0) == "negative"
    assert sentiment(rated(1, thumbs="up", score=1.0), 3.0) == "positive"
    assert sentiment(rated(1, score=2.0), 3.0) == "negative"
    assert sentiment(rated(1, score=3.0), 3.0) == "neutral"
    assert sentiment(rated(1, score=4.5), 3.0) == "positive"
    assert sentiment(rated(1, comment="hm"), 3.0) is None
    assert parse_only(None) is None
    with pytest.raises(InvalidRequest) as caught:
        parse_only("angry")
    assert caught.value.param == "only"


RECORDS = [
    rated(1, thumbs="up"),
    rated(2, thumbs="down", correction="The capital is Canberra."),
    rated(3, score=1.0, label="wrong_facts"),
    rated(4, score=5.0),
    rated(5, comment="ok"),
]


async def export(store: ListStore, **options: object) -> list[dict[str, object]]:
    out = io.BytesIO()
    count = await export_feedback(store, out, midpoint=3.0, **options)  # type: ignore[arg-type]
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(lines)
    return lines


async def test_every_rating_is_a_line_with_the_request_and_the_rating() -> None:
    lines = await export(ListStore(RECORDS))
    assert [line["request_id"] for line in lines] == ["r1", "r2", "r3", "r4", "r5"]
    assert lines[1] == {
        "request_id": "r2",
        "request_at": "2026-03-02T00:02:00Z",
        "model": "gpt-4o",
        "prompt_version": "v1",
        "backend": "ptu-east",
        "consumer": "key-a",
        "team": "search",
        "rater": "key-a",
        "thumbs": "down",
        "score": None,
        "label": None,
        "comment": None,
        "correction": "The capital is Canberra.",
        "sentiment": "negative",
        "rated_at": "2026-03-02T00:02:05Z",
        "input": None,
        "output": None,
    }


@pytest.mark.parametrize(
    ("only", "expected"),
    [("negative", ["r2", "r3"]), ("positive", ["r1", "r4"]), ("corrected", ["r2"])],
)
async def test_only_keeps_one_kind(only: str, expected: list[str]) -> None:
    lines = await export(ListStore(RECORDS), only=only)
    assert [line["request_id"] for line in lines] == expected


async def test_the_export_pages_through_the_store_and_honours_the_range() -> None:
    many = [rated(n) for n in range(1, 1201)]
    store = ListStore(many)
    assert len(await export(store)) == 1200
    assert store.pages == 4  # 500, 500, 200, then an empty page
    ranged = await export(
        ListStore(many), since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=20)
    )
    assert [line["request_id"] for line in ranged] == [f"r{n}" for n in range(10, 20)]


class Captured:
    """A stand-in for request capture plugged into the export's seam."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    async def captured(self, request_ids: Sequence[str]) -> Mapping[str, CapturedExchange]:
        self.asked.append(list(request_ids))
        return {"r2": CapturedExchange([{"role": "user", "content": "Capital?"}], "Sydney")}


async def test_captured_prompts_and_replies_join_through_the_seam() -> None:
    captures = Captured()
    lines = await export(ListStore(RECORDS), only="negative", captures=captures)
    assert captures.asked == [["r2", "r3"]]  # only the kept ratings, once per page
    by_id = {line["request_id"]: line for line in lines}
    assert by_id["r2"]["input"] == [{"role": "user", "content": "Capital?"}]
    assert by_id["r2"]["output"] == "Sydney"
    assert (by_id["r3"]["input"], by_id["r3"]["output"]) == (None, None)


def test_records_refuse_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(rated(1), request_at=datetime(2026, 3, 2))
