"""The retry rules both HTTP tools share: which statuses are retried, and reading the server's
hint (`retry-after-ms`, else `Retry-After` in seconds or as an HTTP date)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from sluicegate.wire.retry import retriable, server_hint

NOW = datetime(2026, 11, 3, 9, 0, 0, tzinfo=UTC)


def test_retriable_statuses() -> None:
    assert all(retriable(s) for s in (0, 408, 409, 429, 500, 502, 503, 504, 529))
    assert not any(retriable(s) for s in (200, 400, 401, 403, 404, 422))


def test_server_hints_without_a_clock() -> None:
    assert server_hint({"retry-after-ms": "250.5", "Retry-After": "9"}) == pytest.approx(0.2505)
    assert server_hint({"Retry-After": "2"}) == 2.0
    assert server_hint({"Retry-After": "1.5"}) == 1.5
    now = datetime(2025, 1, 1, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert server_hint({"Retry-After": date}, now) == pytest.approx(30.0)
    assert server_hint({"retry-after-ms": "soon", "Retry-After": "-1"}) is None
    assert server_hint({}) is None


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"Retry-After-Ms": "1.5", "Retry-After": "9"}, 0.0015),
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "Tue, 03 Nov 2026 09:00:07 GMT"}, 7.0),
        ({"retry-after": "Tue, 03 Nov 2026 08:00:00 GMT"}, 0.0),
        ({"retry-after-ms": "-5", "retry-after": "2"}, 2.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_server_hints(headers: dict[str, str], seconds: float | None) -> None:
    assert server_hint(headers, NOW) == seconds
