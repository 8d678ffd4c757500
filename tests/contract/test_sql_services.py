"""The CI rule for real servers: fail in CI, skip with a how-to elsewhere."""

from __future__ import annotations

import pytest
from tests.contract.services import postgres_url, redis_url, require_service

NOTHING_LISTENS = ("127.0.0.1", 9)  # the discard port: closed on any test machine


def test_missing_service_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(
        pytest.skip.Exception, match=r"Widget is not reachable at 127\.0\.0\.1:9.*start it"
    ):
        require_service("Widget", *NOTHING_LISTENS, "start it with `widgetd`")


def test_missing_service_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="In CI these tests must run"):
        require_service("Widget", *NOTHING_LISTENS, "start it with `widgetd`")


@pytest.mark.parametrize(
    ("variable", "helper", "url"),
    [
        (
            "SLUICEGATE_TEST_POSTGRES_URL",
            postgres_url,
            "postgresql+asyncpg://u:s3cret-pw@127.0.0.1:9/x",
        ),
        ("SLUICEGATE_TEST_REDIS_URL", redis_url, "redis://127.0.0.1:9/0"),
    ],
)
def test_urls_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, helper: object, url: str
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(variable, url)
    with pytest.raises(pytest.skip.Exception, match=r"127\.0\.0\.1:9") as raised:
        helper()  # type: ignore[operator]
    assert "s3cret-pw" not in str(raised.value)
