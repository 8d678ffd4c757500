"""Auth settings refuse weak or ambiguous configurations with messages that say the fix."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.config.auth import AuthSettings, JwtIssuerSettings
from sluicegate.config.loader import ConfigError, parse_document

ISSUER: dict[str, Any] = {
    "issuer": "https://login.example.test/t/v2.0",
    "audience": "api://sluicegate",
    "jwks_url": "https://login.example.test/t/discovery/v2.0/keys",
}


def parse(document: dict[str, Any]) -> AuthSettings:
    return parse_document(document, AuthSettings, env={}, source="auth")


def test_defaults_are_secure() -> None:
    settings = AuthSettings()
    assert settings.enabled
    assert settings.mode == "enforce"
    assert settings.key_cache_seconds <= 1.0
    assert settings.jwt == []


def test_issuer_with_single_audience_and_defaults() -> None:
    settings = parse({"jwt": [ISSUER]})
    issuer = settings.jwt[0]
    assert issuer.audience == ["api://sluicegate"]
    assert issuer.algorithms == ["RS256"]
    assert issuer.claims.app_id_claims == ["azp", "appid"]
    assert issuer.claims.default_role is None


@pytest.mark.parametrize(
    ("algorithm", "fragment"),
    [
        ("none", "unsigned"),
        ("HS256", "HMAC"),
        ("hs512", "HMAC"),
        ("RS1", "not a supported algorithm"),
    ],
)
def test_weak_or_unknown_algorithms_are_refused(algorithm: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse({"jwt": [{**ISSUER, "algorithms": ["RS256", algorithm]}]})
    assert "jwt[0].algorithms" in str(caught.value)
    assert fragment in str(caught.value)


def test_public_key_algorithms_are_accepted() -> None:
    settings = parse({"jwt": [{**ISSUER, "algorithms": ["RS256", "PS256", "ES256", "EdDSA"]}]})
    assert settings.jwt[0].algorithms == ["RS256", "PS256", "ES256", "EdDSA"]


@pytest.mark.parametrize(
    "url",
    ["http://login.example.test/keys", "ftp://x/keys", "https:///keys", "keys.json"],
)
def test_jwks_url_must_be_https_unless_loopback(url: str) -> None:
    with pytest.raises(ConfigError, match=r"jwt\[0\]\.jwks_url: must be an https:// URL"):
        parse({"jwt": [{**ISSUER, "jwks_url": url}]})


def test_plain_http_jwks_on_loopback_is_allowed() -> None:
    settings = parse({"jwt": [{**ISSUER, "jwks_url": "http://127.0.0.1:8999/keys"}]})
    assert settings.jwt[0].jwks_url == "http://127.0.0.1:8999/keys"


def test_exactly_one_key_source() -> None:
    with pytest.raises(ConfigError, match="exactly one of 'jwks_url'"):
        parse({"jwt": [{**ISSUER, "jwks_file": "/tmp/keys.json"}]})
    without = {key: value for key, value in ISSUER.items() if key != "jwks_url"}
    with pytest.raises(ConfigError, match="exactly one of 'jwks_url'"):
        parse({"jwt": [without]})


def test_key_cache_longer_than_a_second_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"key_cache_seconds: must be at most 1 s"):
        parse({"key_cache_seconds": 5})


def test_repeated_issuers_are_refused() -> None:
    with pytest.raises(ConfigError, match="each issuer may be listed once"):
        parse({"jwt": [ISSUER, ISSUER]})


def test_unknown_keys_and_roles_are_refused() -> None:
    with pytest.raises(ConfigError, match="not a known setting"):
        parse({"mdoe": "shadow"})
    with pytest.raises(ConfigError, match=r"claims\.roles\.Gateway\.Root"):
        parse({"jwt": [{**ISSUER, "claims": {"roles": {"Gateway.Root": "root"}}}]})


def test_empty_model_lists_are_refused() -> None:
    with pytest.raises(ConfigError, match="'research' has an empty model list"):
        parse({"jwt": [{**ISSUER, "claims": {"models_by_group": {"research": []}}}]})


def test_leeway_is_bounded() -> None:
    with pytest.raises(ConfigError, match=r"jwt\[0\]\.leeway_seconds"):
        parse({"jwt": [{**ISSUER, "leeway_seconds": 3600}]})
    assert JwtIssuerSettings.model_validate({**ISSUER, "leeway_seconds": 0}).leeway_seconds == 0
