"""What `sluicegate keys` reads from the command line and how it shows keys.

Durations, expiry times and model lists are parsed here into values or a ValueError whose
message tells the user what to type instead. Showing a key never shows its hash or secret.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import typer

from sluicegate.admin.keys import key_status
from sluicegate.core.budget import Budget
from sluicegate.core.identity import KeyRecord, Limits

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_MODEL_NAME = re.compile(r"^[^\s,]+$")


# --- parsing command-line values -----------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `1h`, `30d`, `2w` (or `0`); ValueError otherwise."""
    if text.strip() == "0":
        return timedelta(0)
    found = _DURATION.match(text)
    if found is None:
        raise ValueError("use a number and a unit: s, m, h, d or w (for example 30d or 1h)")
    try:
        return timedelta(seconds=float(found.group(1)) * _UNIT_SECONDS[found.group(2).lower()])
    except OverflowError:
        raise ValueError("that is longer than a date can express") from None


def parse_expiry(text: str, now: datetime) -> datetime:
    """A duration from now (`30d`), a date (`2027-01-31`, 00:00 UTC) or an ISO 8601 time (UTC
    when it names no zone); it must lie in the future."""
    if _DURATION.match(text) or text.strip() == "0":
        moment = later(now, parse_duration(text))
    else:
        moment = _parse_moment(text.strip())
    if moment <= now:
        raise ValueError(f"{show_time(moment)} is not in the future")
    return moment


def later(now: datetime, delta: timedelta) -> datetime:
    """`now + delta`, or ValueError when that lies past the last expressible date."""
    try:
        return now + delta
    except OverflowError:
        raise ValueError("that is later than a date can express") from None


def _parse_moment(text: str) -> datetime:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "use a duration (30d, 12h), a date (2027-01-31) or an ISO 8601 time "
            "(2027-01-31T12:00:00Z)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_models(text: str) -> frozenset[str]:
    """`gpt-4o,gpt-4o-mini` → the allow-list; every entry must be a non-empty name."""
    names = [name.strip() for name in text.split(",")]
    if not all(names) or not all(_MODEL_NAME.match(name) for name in names):
        raise ValueError("give model names separated by commas, for example gpt-4o,gpt-4o-mini")
    return frozenset(names)


# --- showing keys --------------------------------------------------------------------------------


def status_of(record: KeyRecord, now: datetime) -> str:
    """active, expired, revoked, or retiring (revoked at a time still to come)."""
    return key_status(record, now)


def describe(record: KeyRecord, now: datetime) -> dict[str, Any]:
    """What may be shown about a key: everything but its hash."""
    return {
        "key_id": record.key_id,
        "name": record.name,
        "team": record.team,
        "role": str(record.role),
        "models": sorted(record.models),
        "limits": {
            "tpm": record.limits.tpm,
            "rpm": record.limits.rpm,
            "max_concurrency": record.limits.max_concurrency,
        },
        "budget": show_budget(record.budget),
        "created_at": iso(record.created_at),
        "expires_at": iso(record.expires_at),
        "revoked_at": iso(record.revoked_at),
        "status": status_of(record, now),
    }


def show_budget(budget: Budget | None) -> dict[str, Any] | None:
    if budget is None:
        return None
    return {
        "amount_usd": budget.amount_usd,
        "period": budget.period.value,
        "alert_at": budget.alert_at,
    }


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def show_time(moment: datetime | None, empty: str = "-") -> str:
    return empty if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _show_models(record: KeyRecord) -> str:
    return ", ".join(sorted(record.models)) or "all"


def _show_limits(limits: Limits) -> str:
    parts = [
        f"{label} {value}"
        for label, value in (
            ("tpm", limits.tpm),
            ("rpm", limits.rpm),
            ("concurrency", limits.max_concurrency),
        )
        if value is not None
    ]
    return ", ".join(parts) or "none"


def print_table(records: list[KeyRecord], now: datetime) -> None:
    """A table that never hides a column: piped output is as wide as its rows, and in a
    narrow terminal the text columns wrap instead of vanishing."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 1000
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("ID", no_wrap=True)
    for column in ("NAME", "TEAM", "ROLE", "MODELS", "LIMITS"):
        table.add_column(column, min_width=4, overflow="fold")
    for column in ("CREATED (UTC)", "EXPIRES", "REVOKED", "STATUS"):
        table.add_column(column, min_width=7, overflow="fold")
    for record in records:
        cells = (
            record.key_id,
            record.name,
            record.team,
            str(record.role),
            _show_models(record),
            _show_limits(record.limits),
            _short_time(record.created_at),
            _short_time(record.expires_at, "never"),
            _short_time(record.revoked_at),
            status_of(record, now),
        )
        table.add_row(*(Text(cell) for cell in cells))  # names are data, never markup
    console.print(table)


def _short_time(moment: datetime | None, empty: str = "-") -> str:
    return empty if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def print_record(record: KeyRecord, now: datetime) -> None:
    models = _show_models(record)
    if not record.models:
        models += " (within the team's allow-list)"
    lines = [
        f"key {record.key_id}",
        f"  name:     {record.name}",
        f"  team:     {record.team}",
        f"  role:     {record.role}",
        f"  models:   {models}",
        f"  limits:   {_show_limits(record.limits)}",
        f"  budget:   {_describe_budget(record.budget)}",
        f"  created:  {show_time(record.created_at)}",
        f"  expires:  {show_time(record.expires_at, 'never')}",
        f"  revoked:  {show_time(record.revoked_at, 'no')}",
        f"  status:   {status_of(record, now)}",
    ]
    typer.echo("\n".join(lines))


def _describe_budget(budget: Budget | None) -> str:
    if budget is None:
        return "none (the team's applies, if any)"
    return f"{budget.describe()}, alert at {budget.alert_at:.0%}"


def print_new_key(key: str) -> None:
    typer.echo("This is the only time the key is shown; only its hash is stored:\n")
    typer.echo(f"  {key}\n")
