"""Capture settings: off by default, and a wrong section fails at start-up with the fix."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.config.loader import ConfigError, parse_document
from sluicegate.config.settings import GatewayConfig


def document(**sections: Any) -> dict[str, Any]:
    return {
        "backends": [{"name": "sim", "url": "http://127.0.0.1:9"}],
        "pools": {"main": {"members": [{"backend": "sim"}]}},
        "models": {"gpt-4o": {"pool": "main"}, "gpt-4o-mini": {"pool": "main"}},
        **sections,
    }


def test_capture_is_off_by_default() -> None:
    capture = parse_document(document(), GatewayConfig).capture
    assert not capture.enabled
    assert (capture.routes, capture.teams, capture.subjects) == ([], [], [])
    assert capture.retention_days == 30
    assert capture.max_chars == 32_000


def test_a_full_section_is_read() -> None:
    capture = parse_document(
        document(
            capture={
                "enabled": True,
                "routes": ["gpt-4o"],
                "teams": ["search"],
                "subjects": ["k-123"],
                "retention_days": 7,
                "max_chars": 1000,
                "purge_interval_seconds": 60,
            }
        ),
        GatewayConfig,
    ).capture
    assert capture.enabled
    assert capture.routes == ["gpt-4o"]
    assert capture.retention_days == 7


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        (
            {"capture": {"enabled": True, "routes": ["gpt-5"]}},
            "capture.routes names 'gpt-5', which is not a model route",
        ),
        (
            {"capture": {"enabled": True}, "ledger": {"enabled": False}},
            "capture.enabled needs the usage ledger",
        ),
        ({"capture": {"retention_days": 0}}, "capture.retention_days"),
        ({"capture": {"max_chars": 10}}, "capture.max_chars"),
        ({"capture": {"route": ["gpt-4o"]}}, "capture.route"),
    ],
)
def test_a_wrong_section_names_the_key(sections: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_document(document(**sections), GatewayConfig)
