"""Points in time as admins type and read them: one syntax for every report's range.

The usage report, feedback summaries and feedback exports take the same words for their ends
(`parse_moment`), so an admin learns one syntax, and show times the same way (`show_moment`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sluicegate.core.errors import InvalidRequest

RELATIVE_TIMES = ("now", "today", "yesterday")
"""Words `parse_moment` accepts besides dates and times; days start at 00:00 UTC."""

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FORMAT_HINT = (
    "use a date (2026-11-01, 00:00 UTC), an ISO 8601 time (2026-11-01T08:00:00Z; UTC when it "
    "names no zone) or one of: " + ", ".join(RELATIVE_TIMES)
)
_SHOWN_LENGTH = 64


def parse_moment(param: str, text: str, now: datetime) -> datetime:
    """`text` as a time in UTC: a date (`2026-11-01`, 00:00 UTC), an ISO 8601 time (its offset
    honoured; UTC when it names none), `now`, `today` or `yesterday` (00:00 UTC of that day).

    InvalidRequest(param=param) for anything else, so HTTP answers 400 naming the parameter.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (for example datetime.now(UTC))")
    now = now.astimezone(UTC)
    word = text.strip().lower()
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    relative = {"now": now, "today": today, "yesterday": today - timedelta(days=1)}
    if word in relative:
        return relative[word]
    try:
        if _DATE.match(word):
            day = date.fromisoformat(word)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        shown = text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 3] + "..."
        raise InvalidRequest(
            f"{param} {shown!r} is not a time: {_FORMAT_HINT}", param=param
        ) from None


def show_moment(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as every admin answer writes times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
