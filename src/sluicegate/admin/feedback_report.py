"""Feedback summaries: how replies were rated, per prompt version, model, backend or consumer.

One implementation for `sluicegate feedback summary` and `GET /admin/feedback/summary`: both
parse their input with `parse_dimensions` and `parse_time` (bad input is an `InvalidRequest`
naming the parameter), build the summary with `feedback_summary` and render it with
`summary_as_dict`, `summary_as_csv` or `summary_as_table`.

The thumbs-up rate of a small group says little on its own, so every rate comes with its 95 %
Wilson score interval (`core.wilson`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sluicegate.admin.moments import parse_moment, show_moment
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.feedback import (
    FEEDBACK_DIMENSIONS,
    FeedbackDimension,
    FeedbackStore,
    FeedbackTotals,
)
from sluicegate.core.wilson import wilson_interval

RATE_DECIMALS = 4
SCORE_DECIMALS = 4
TOTAL_LABEL = "TOTAL"


@dataclass(frozen=True)
class SummaryRow:
    """One group's ratings. Rates and intervals are None without thumbs; the mean score is
    None without scores."""

    group: tuple[str | None, ...]
    ratings: int
    thumbs_up: int
    thumbs_down: int
    thumbs_up_rate: float | None
    thumbs_up_low: float | None
    thumbs_up_high: float | None
    """The 95 % Wilson interval of the thumbs-up rate."""
    scores: int
    mean_score: float | None
    comments: int
    corrections: int


@dataclass(frozen=True)
class FeedbackSummary:
    by: tuple[FeedbackDimension, ...]
    since: datetime | None
    until: datetime | None
    """Exclusive; None ends mean no bound."""
    rows: list[SummaryRow]
    total: SummaryRow
    """Every row together (its group is empty)."""


async def feedback_summary(
    store: FeedbackStore,
    by: Sequence[FeedbackDimension],
    since: datetime | None = None,
    until: datetime | None = None,
) -> FeedbackSummary:
    """The ratings of requests with `since <= request time < until`, per group of `by`."""
    dimensions = tuple(by)
    if since is not None and until is not None and since >= until:
        raise InvalidRequest(
            f"the range is empty: since ({_show(since)}) must be earlier than until "
            f"({_show(until)}), which is exclusive",
            param="since",
        )
    totals = await store.summarize(dimensions, since, until)
    rows = [summary_row(total) for total in totals]
    everything = FeedbackTotals(
        group=(),
        ratings=sum(t.ratings for t in totals),
        thumbs_up=sum(t.thumbs_up for t in totals),
        thumbs_down=sum(t.thumbs_down for t in totals),
        scores=sum(t.scores for t in totals),
        score_sum=sum(t.score_sum for t in totals),
        comments=sum(t.comments for t in totals),
        corrections=sum(t.corrections for t in totals),
    )
    return FeedbackSummary(
        by=dimensions,
        since=since.astimezone(UTC) if since is not None else None,
        until=until.astimezone(UTC) if until is not None else None,
        rows=rows,
        total=summary_row(everything),
    )


def summary_row(totals: FeedbackTotals) -> SummaryRow:
    thumbs = totals.thumbs_up + totals.thumbs_down
    interval = wilson_interval(totals.thumbs_up, thumbs)
    return SummaryRow(
        group=totals.group,
        ratings=totals.ratings,
        thumbs_up=totals.thumbs_up,
        thumbs_down=totals.thumbs_down,
        thumbs_up_rate=totals.thumbs_up / thumbs if thumbs else None,
        thumbs_up_low=interval[0] if interval else None,
        thumbs_up_high=interval[1] if interval else None,
        scores=totals.scores,
        mean_score=totals.score_sum / totals.scores if totals.scores else None,
        comments=totals.comments,
        corrections=totals.corrections,
    )


# --- parsing input ---------------------------------------------------------------------------


def parse_dimensions(text: str) -> tuple[FeedbackDimension, ...]:
    """One dimension or several separated by commas (`model,prompt_version`), each once;
    InvalidRequest(param="by") otherwise."""
    names = [part.strip() for part in text.split(",")]
    chosen: list[FeedbackDimension] = []
    for name in names:
        dimension = next((d for d in FEEDBACK_DIMENSIONS if d == name), None)
        if dimension is None:
            shown = name if len(name) <= 40 else name[:37] + "..."
            raise InvalidRequest(
                f"cannot group feedback by {shown!r}; use one or more (separated by commas) "
                f"of: {', '.join(FEEDBACK_DIMENSIONS)}",
                param="by",
            )
        if dimension in chosen:
            raise InvalidRequest(f"by names {dimension!r} twice", param="by")
        chosen.append(dimension)
    return tuple(chosen)


def parse_time(param: str, text: str | None, now: datetime) -> datetime | None:
    """None for no bound; else a date (00:00 UTC), an ISO 8601 time (UTC when it names no
    zone), `now`, `today` or `yesterday`. InvalidRequest(param=param) for anything else."""
    if text is None or not text.strip():
        return None
    return parse_moment(param, text, now)


def _show(moment: datetime | None) -> str | None:
    return None if moment is None else show_moment(moment)


# --- rendering -------------------------------------------------------------------------------

_COLUMNS = (
    "ratings",
    "thumbs_up",
    "thumbs_down",
    "thumbs_up_rate",
    "thumbs_up_low",
    "thumbs_up_high",
    "scores",
    "mean_score",
    "comments",
    "corrections",
)


def summary_as_dict(summary: FeedbackSummary) -> dict[str, Any]:
    """JSON-ready: ISO 8601 times, rates and scores to 4 decimals; each row's `group` maps
    every dimension to its value."""
    return {
        "by": list(summary.by),
        "since": _show(summary.since),
        "until": _show(summary.until),
        "rows": [_row_dict(summary.by, row) for row in summary.rows],
        "total": _row_dict((), summary.total),
    }


def _row_dict(by: Sequence[str], row: SummaryRow) -> dict[str, Any]:
    return {
        "group": dict(zip(by, row.group, strict=True)),
        "ratings": row.ratings,
        "thumbs_up": row.thumbs_up,
        "thumbs_down": row.thumbs_down,
        "thumbs_up_rate": _round(row.thumbs_up_rate, RATE_DECIMALS),
        "thumbs_up_ci95": None
        if row.thumbs_up_low is None or row.thumbs_up_high is None
        else [_round(row.thumbs_up_low, RATE_DECIMALS), _round(row.thumbs_up_high, RATE_DECIMALS)],
        "scores": row.scores,
        "mean_score": _round(row.mean_score, SCORE_DECIMALS),
        "comments": row.comments,
        "corrections": row.corrections,
    }


def _round(value: float | None, decimals: int) -> float | None:
    return None if value is None else round(value, decimals)


def summary_as_csv(summary: FeedbackSummary) -> str:
    """A header (one column per dimension, then the numbers), one line per group and a last
    line whose first cell is `TOTAL`. Missing values are empty cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*summary.by, *_COLUMNS])
    for row in summary.rows:
        writer.writerow([value or "" for value in row.group] + _csv_cells(row))
    padding = [""] * (len(summary.by) - 1)
    writer.writerow([TOTAL_LABEL, *padding, *_csv_cells(summary.total)])
    return out.getvalue()


def _csv_cells(row: SummaryRow) -> list[str]:
    def number(value: float | None, decimals: int) -> str:
        return "" if value is None else f"{value:.{decimals}f}"

    return [
        str(row.ratings),
        str(row.thumbs_up),
        str(row.thumbs_down),
        number(row.thumbs_up_rate, RATE_DECIMALS),
        number(row.thumbs_up_low, RATE_DECIMALS),
        number(row.thumbs_up_high, RATE_DECIMALS),
        str(row.scores),
        number(row.mean_score, SCORE_DECIMALS),
        str(row.comments),
        str(row.corrections),
    ]


_HEADINGS = ("RATINGS", "UP", "DOWN", "UP RATE", "95% CI", "SCORES", "MEAN", "COMMENTS", "CORR.")


def summary_as_table(summary: FeedbackSummary) -> str:
    """An aligned text table: a line naming the range, one line per group, a rule and the
    TOTAL line."""
    since = _show(summary.since) or "the beginning"
    until = _show(summary.until) or "now"
    lines = [f"Feedback by {', '.join(summary.by)}, {since} to {until} (request time, UTC)", ""]
    if not summary.rows:
        lines.append("No feedback in this range.")
        return "\n".join(lines) + "\n"
    heading = (*(d.upper() for d in summary.by), *_HEADINGS)
    body = [(*(_label(value) for value in row.group), *_table_cells(row)) for row in summary.rows]
    padding = ("",) * (len(summary.by) - 1)
    total = (TOTAL_LABEL, *padding, *_table_cells(summary.total))
    widths = [max(len(cells[i]) for cells in (heading, *body, total)) for i in range(len(heading))]
    keys = len(summary.by)

    def line(cells: tuple[str, ...]) -> str:
        left = [cell.ljust(w) for cell, w in zip(cells[:keys], widths[:keys], strict=True)]
        right = [cell.rjust(w) for cell, w in zip(cells[keys:], widths[keys:], strict=True)]
        return "  ".join(left + right).rstrip()

    lines.append(line(heading))
    lines.extend(line(cells) for cells in body)
    lines.append("  ".join("-" * width for width in widths))
    lines.append(line(total))
    return "\n".join(lines) + "\n"


def _label(value: str | None) -> str:
    if value is None:
        return "(none)"
    return value if value.isprintable() else repr(value)


def _table_cells(row: SummaryRow) -> tuple[str, ...]:
    interval = (
        "-"
        if row.thumbs_up_low is None or row.thumbs_up_high is None
        else f"{row.thumbs_up_low:.0%}-{row.thumbs_up_high:.0%}"
    )
    return (
        f"{row.ratings:,}",
        f"{row.thumbs_up:,}",
        f"{row.thumbs_down:,}",
        "-" if row.thumbs_up_rate is None else f"{row.thumbs_up_rate:.1%}",
        interval,
        f"{row.scores:,}",
        "-" if row.mean_score is None else f"{row.mean_score:.2f}",
        f"{row.comments:,}",
        f"{row.corrections:,}",
    )
