"""The chargeback usage report: the ledger's totals per team, key, model or backend over a time
range, with each group's share of the provisioned (PTU) capacity.

One implementation for `sluicegate usage report` and the admin API: both parse their input with
`parse_dimension` and `parse_report_range` (bad input is an `InvalidRequest` naming the
parameter, so HTTP answers 400 with it), build the report with `usage_report` and render it with
`report_as_dict`, `report_as_csv` or `report_as_table`.

PTU capacity is prepaid: a PTU backend costs the same whether it is busy or idle. The report
therefore shows how many of the tokens the PTU backends could have served in the range
(`ptu_tpm` × minutes) each group actually drew, which is how a shared reservation is split
between the teams that use it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sluicegate.admin.moments import parse_moment, show_moment
from sluicegate.config.settings import GatewayConfig
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.ledger import DIMENSIONS, Dimension, LedgerStore, UsageTotals

MONEY_DECIMALS = 6
"""USD amounts keep a millionth of a dollar: a single small request costs less than a cent."""
SHARE_DECIMALS = 6
TOTAL_LABEL = "TOTAL"
"""The group cell of the last row of the CSV and the table: the sum of every row."""


@dataclass(frozen=True)
class ReportRow:
    """One group's usage; `group` is None for requests no backend answered (by backend)."""

    group: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    total_tokens: int
    cost_usd: float
    ptu_tokens: int
    """Tokens served by PTU backends."""
    ptu_share: float | None
    """`ptu_tokens` / the PTU capacity of the range (0.25 = a quarter); None without a capacity
    (or when the range is too short to hold a whole token of it)."""


@dataclass(frozen=True)
class UsageReport:
    by: Dimension
    since: datetime
    until: datetime
    """Exclusive."""
    rows: list[ReportRow]
    total: ReportRow
    """The sum of every row (its `group` is None)."""
    ptu_capacity_tokens: int | None
    """The tokens the PTU backends could serve in [since, until); None when no PTU backend
    declares its `tpm`."""


# --- building --------------------------------------------------------------------------------


async def usage_report(
    ledger: LedgerStore,
    by: Dimension,
    since: datetime,
    until: datetime,
    *,
    ptu_tpm: int | None = None,
) -> UsageReport:
    """Totals per group of the records with `since <= at < until`, ordered by group.

    `ptu_tpm` is the provisioned capacity of every PTU backend together, in tokens per minute
    (`ptu_tpm_of(config)`); without it, shares are None.
    """
    dimension = parse_dimension(by)
    if since.utcoffset() is None or until.utcoffset() is None:
        raise ValueError("since and until must be timezone-aware (for example datetime.now(UTC))")
    _require_order(since, until)
    if ptu_tpm is not None and ptu_tpm < 1:
        raise ValueError(f"ptu_tpm must be a positive number of tokens per minute, got {ptu_tpm}")
    capacity = ptu_capacity(ptu_tpm, since, until)
    totals = await ledger.aggregate(dimension, since, until)
    rows = [_row(total, capacity) for total in totals]
    return UsageReport(
        by=dimension,
        since=since.astimezone(UTC),
        until=until.astimezone(UTC),
        rows=rows,
        total=_sum(rows, capacity),
        ptu_capacity_tokens=capacity,
    )


def ptu_tpm_of(config: GatewayConfig) -> int | None:
    """The tokens per minute of every PTU backend that declares its `tpm`; None if none does."""
    declared = [b.tpm for b in config.backends if b.kind == "ptu" and b.tpm is not None]
    return sum(declared) if declared else None


def ptu_capacity(ptu_tpm: int | None, since: datetime, until: datetime) -> int | None:
    """`ptu_tpm` × the minutes in [since, until), to the nearest token."""
    if ptu_tpm is None:
        return None
    return round(ptu_tpm * (until - since).total_seconds() / 60)


def _share(ptu_tokens: int, capacity: int | None) -> float | None:
    return ptu_tokens / capacity if capacity else None


def _row(total: UsageTotals, capacity: int | None) -> ReportRow:
    return ReportRow(
        group=total.group,
        requests=total.requests,
        prompt_tokens=total.prompt_tokens,
        completion_tokens=total.completion_tokens,
        cached_tokens=total.cached_tokens,
        total_tokens=total.total_tokens,
        cost_usd=total.cost,
        ptu_tokens=total.ptu_tokens,
        ptu_share=_share(total.ptu_tokens, capacity),
    )


def _sum(rows: list[ReportRow], capacity: int | None) -> ReportRow:
    ptu_tokens = sum(row.ptu_tokens for row in rows)
    return ReportRow(
        group=None,
        requests=sum(row.requests for row in rows),
        prompt_tokens=sum(row.prompt_tokens for row in rows),
        completion_tokens=sum(row.completion_tokens for row in rows),
        cached_tokens=sum(row.cached_tokens for row in rows),
        total_tokens=sum(row.total_tokens for row in rows),
        cost_usd=sum(row.cost_usd for row in rows),
        ptu_tokens=ptu_tokens,
        ptu_share=_share(ptu_tokens, capacity),
    )


# --- parsing input ---------------------------------------------------------------------------


def parse_dimension(text: str) -> Dimension:
    """`team`, `key`, `model` or `backend`; InvalidRequest(param="by") otherwise."""
    for dimension in DIMENSIONS:
        if text == dimension:
            return dimension
    raise InvalidRequest(
        f"cannot group usage by {text!r}; use one of: {', '.join(DIMENSIONS)}", param="by"
    )


def parse_report_range(
    from_text: str | None, to_text: str | None, now: datetime
) -> tuple[datetime, datetime]:
    """The report's [from, to) in UTC.

    Each end is a date (`2026-11-01`, 00:00 UTC), an ISO 8601 time (its offset honoured; UTC
    when it names none), `now`, `today` or `yesterday` (00:00 UTC of that day). `to` is
    exclusive, so `from=yesterday&to=today` is all of yesterday. By default `from` is the start
    of the current calendar month (UTC) and `to` is now. InvalidRequest(param="from"/"to")
    for anything else, or when `from` is not earlier than `to`.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (for example datetime.now(UTC))")
    now = now.astimezone(UTC)
    since = _month_start(now) if from_text is None else parse_moment("from", from_text, now)
    until = now if to_text is None else parse_moment("to", to_text, now)
    _require_order(since, until)
    return since, until


def _require_order(since: datetime, until: datetime) -> None:
    if since >= until:
        raise InvalidRequest(
            f"the range is empty: from ({show_moment(since)}) must be earlier than to "
            f"({show_moment(until)}), which is exclusive",
            param="from",
        )


def _month_start(now: datetime) -> datetime:
    return datetime(now.year, now.month, 1, tzinfo=UTC)


# --- rendering -------------------------------------------------------------------------------

_COLUMNS = (
    "requests",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "total_tokens",
    "cost_usd",
    "ptu_tokens",
    "ptu_share",
)


def report_as_dict(report: UsageReport) -> dict[str, Any]:
    """The report as JSON-ready data: ISO 8601 times, USD and shares to 6 decimals."""
    return {
        "by": report.by,
        "from": show_moment(report.since),
        "to": show_moment(report.until),
        "ptu_capacity_tokens": report.ptu_capacity_tokens,
        "rows": [_row_dict(row) for row in report.rows],
        "total": _row_dict(report.total),
    }


def _row_dict(row: ReportRow) -> dict[str, Any]:
    return {
        "group": row.group,
        "requests": row.requests,
        "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens,
        "cached_tokens": row.cached_tokens,
        "total_tokens": row.total_tokens,
        "cost_usd": round(row.cost_usd, MONEY_DECIMALS),
        "ptu_tokens": row.ptu_tokens,
        "ptu_share": None if row.ptu_share is None else round(row.ptu_share, SHARE_DECIMALS),
    }


def report_as_csv(report: UsageReport) -> str:
    """A header (the first column is named after the dimension), one line per group and a last
    line whose group is `TOTAL`. A group of None (no backend answered) is an empty cell, and so
    is a share without a PTU capacity."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([report.by, *_COLUMNS])
    for row in report.rows:
        writer.writerow([row.group or "", *_csv_cells(row)])
    writer.writerow([TOTAL_LABEL, *_csv_cells(report.total)])
    return out.getvalue()


def _csv_cells(row: ReportRow) -> list[str]:
    return [
        str(row.requests),
        str(row.prompt_tokens),
        str(row.completion_tokens),
        str(row.cached_tokens),
        str(row.total_tokens),
        f"{row.cost_usd:.{MONEY_DECIMALS}f}",
        str(row.ptu_tokens),
        "" if row.ptu_share is None else f"{row.ptu_share:.{SHARE_DECIMALS}f}",
    ]


_TABLE_HEADINGS = (
    "REQUESTS",
    "PROMPT",
    "COMPLETION",
    "CACHED",
    "TOTAL TOKENS",
    "COST (USD)",
    "PTU TOKENS",
    "PTU SHARE",
)


def report_as_table(report: UsageReport) -> str:
    """An aligned text table: a line naming the range and the PTU capacity, one line per group,
    a rule and the TOTAL line. Numbers are right-aligned with thousands separators."""
    lines = [
        f"Usage by {report.by}, {_short(report.since)} to {_short(report.until)} "
        "(UTC, end exclusive)",
        "PTU capacity: "
        + (
            f"{report.ptu_capacity_tokens:,} tokens"
            if report.ptu_capacity_tokens is not None
            else "unknown (no PTU backend declares its tpm)"
        ),
        "",
    ]
    if not report.rows:
        lines.append("No usage recorded in this range.")
        return "\n".join(lines) + "\n"
    heading = (report.by.upper(), *_TABLE_HEADINGS)
    body = [(_group_label(report.by, row.group), *_table_cells(row)) for row in report.rows]
    total = (TOTAL_LABEL, *_table_cells(report.total))
    widths = [max(len(cells[i]) for cells in (heading, *body, total)) for i in range(len(heading))]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    lines.append(line(heading))
    lines.extend(line(cells) for cells in body)
    lines.append("  ".join("-" * width for width in widths))
    lines.append(line(total))
    return "\n".join(lines) + "\n"


def _short(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    whole_minute = moment.second == 0 and moment.microsecond == 0
    return moment.strftime("%Y-%m-%d %H:%M" if whole_minute else "%Y-%m-%d %H:%M:%S")


def _group_label(by: Dimension, group: str | None) -> str:
    if group is None:
        return f"(no {by})"
    return group if group.isprintable() else repr(group)


def _table_cells(row: ReportRow) -> tuple[str, ...]:
    return (
        f"{row.requests:,}",
        f"{row.prompt_tokens:,}",
        f"{row.completion_tokens:,}",
        f"{row.cached_tokens:,}",
        f"{row.total_tokens:,}",
        f"{row.cost_usd:,.4f}",
        f"{row.ptu_tokens:,}",
        "-" if row.ptu_share is None else f"{row.ptu_share:.2%}",
    )
