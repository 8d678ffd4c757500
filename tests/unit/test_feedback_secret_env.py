"""`SLUICEGATE_FEEDBACK_SECRET` gives every replica the same token key, checked like the file's."""

from __future__ import annotations

import pytest
from tests.e2e.support import gateway_config

from sluicegate.cli.main import _command_line_overrides
from sluicegate.config.loader import ConfigError

SECRET = "0123456789abcdef" * 4


def test_the_environment_sets_the_token_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    config = gateway_config("http://127.0.0.1:9", [{"name": "only"}])
    monkeypatch.delenv("SLUICEGATE_FEEDBACK_SECRET", raising=False)
    assert _command_line_overrides(config, no_auth=False).feedback.token_secret is None
    monkeypatch.setenv("SLUICEGATE_FEEDBACK_SECRET", SECRET)
    adjusted = _command_line_overrides(config, no_auth=False)
    secret = adjusted.feedback.token_secret
    assert secret is not None
    assert secret.get_secret_value() == SECRET
    assert SECRET not in repr(adjusted)


def test_a_short_secret_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    config = gateway_config("http://127.0.0.1:9", [{"name": "only"}])
    monkeypatch.setenv("SLUICEGATE_FEEDBACK_SECRET", "hunter2")
    with pytest.raises(ConfigError, match="SLUICEGATE_FEEDBACK_SECRET") as caught:
        _command_line_overrides(config, no_auth=False)
    assert "hunter2" not in str(caught.value)
    assert "at least 32" in str(caught.value)
