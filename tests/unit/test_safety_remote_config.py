"""Settings of the remote detectors: strict, secret-safe, and explicit about what is wrong."""

from __future__ import annotations

from typing import Any, get_args

import pydantic
import pytest
import yaml

from sluicegate.config.credentials import ApiKeyAuth, BearerAuth, EntraAuth, NoAuth
from sluicegate.config.loader import ConfigError, parse_document
from sluicegate.config.safety_remote import (
    DEFAULT_GUARD_CATEGORIES,
    FindingCategory,
    RemoteDetectorsSettings,
    SubscriptionKeyAuth,
)
from sluicegate.safety.verdict import Category

KEY = "cs-key-SECRET-0d94e1"
ENDPOINT = "https://example-cs.cognitiveservices.azure.com"

EXAMPLE = """
azure_content_safety:
  endpoint: https://example-cs.cognitiveservices.azure.com/
  auth: {type: key, key: "${CONTENT_SAFETY_KEY}"}
  timeout_seconds: 1.5
  failure_mode: fail_closed
  checks: {analyze: true, shield_prompt: true, shield_documents: false}
  categories: [Hate, Violence]
  blocklist_names: [banned-terms, brand.names]
guard_model:
  base_url: http://llama-guard.internal:8000/v1
  model: meta-llama/Llama-Guard-3-8B
  auth: {type: bearer, token: "${GUARD_TOKEN}"}
  categories:
    S2: {category: violence, severity: 4}
    S12: {category: sexual, severity: 6}
"""


def parse(document: Any, env: dict[str, str] | None = None) -> RemoteDetectorsSettings:
    return parse_document(document, RemoteDetectorsSettings, env=env or {}, source="safety")


def azure(**fields: Any) -> dict[str, Any]:
    return {
        "azure_content_safety": {
            "endpoint": ENDPOINT,
            "auth": {"type": "key", "key": KEY},
            **fields,
        }
    }


def guard(**fields: Any) -> dict[str, Any]:
    return {"guard_model": {"base_url": "http://guard:8000/v1", "model": "guard", **fields}}


def problem(document: Any, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(document, env)
    return str(caught.value)


def test_both_detectors_are_off_by_default() -> None:
    settings = parse({})
    assert settings.azure_content_safety is None
    assert settings.guard_model is None


def test_the_documented_example_parses_with_keys_from_the_environment() -> None:
    settings = parse(
        yaml.safe_load(EXAMPLE), env={"CONTENT_SAFETY_KEY": KEY, "GUARD_TOKEN": "tok-123"}
    )
    content_safety = settings.azure_content_safety
    assert content_safety is not None
    assert content_safety.endpoint == ENDPOINT
    assert isinstance(content_safety.auth, SubscriptionKeyAuth)
    assert content_safety.auth.key.get_secret_value() == KEY
    assert content_safety.failure_mode == "fail_closed"
    assert content_safety.checks.shield_documents is False
    assert content_safety.categories == ["Hate", "Violence"]
    guard_model = settings.guard_model
    assert guard_model is not None
    assert isinstance(guard_model.auth, BearerAuth)
    assert guard_model.auth.token.get_secret_value() == "tok-123"
    assert guard_model.category_map["S2"].category == "violence"
    assert guard_model.category_map["S10"] == DEFAULT_GUARD_CATEGORIES["S10"]


def test_azure_defaults() -> None:
    settings = parse(azure()).azure_content_safety
    assert settings is not None
    assert settings.api_version == "2024-09-01"
    assert settings.timeout_seconds == 2.0
    assert settings.failure_mode == "fail_open"
    assert settings.probe_interval_seconds == 1.0
    assert (settings.checks.analyze, settings.checks.shield_prompt) == (True, True)
    assert settings.checks.shield_documents is True
    assert settings.categories == ["Hate", "Sexual", "SelfHarm", "Violence"]
    assert settings.blocklist_names == []
    assert settings.halt_on_blocklist_hit is False


def test_the_key_never_shows() -> None:
    settings = parse(azure())
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert KEY not in shown


def test_a_missing_environment_variable_is_named() -> None:
    message = problem(azure(auth={"type": "key", "key": "${CS_KEY}"}))
    assert "environment variable CS_KEY is not set" in message


def test_an_empty_key_is_refused_without_echoing_input() -> None:
    message = problem(azure(auth={"type": "key", "key": "${CS_KEY:-}"}))
    assert "azure_content_safety.auth.key.key: is empty; set the resource key" in message


def test_entra_auth_defaults_to_the_cognitive_services_scope() -> None:
    settings = parse(
        azure(auth={"type": "entra", "managed_identity_client_id": "abc"})
    ).azure_content_safety
    assert settings is not None
    assert isinstance(settings.auth, EntraAuth)
    assert settings.auth.scope == "https://cognitiveservices.azure.com/.default"
    assert settings.auth.managed_identity_client_id == "abc"


def test_auth_is_required_for_azure() -> None:
    document = {"azure_content_safety": {"endpoint": ENDPOINT}}
    assert "azure_content_safety.auth: is required" in problem(document)


@pytest.mark.parametrize(
    ("endpoint", "fragment"),
    [
        ("example.com", "must start with http:// or https://"),
        ("https://", "must name a host"),
        ("https://cs.example.com/?sig=abc", "must not carry a query string"),
        ("https://user:pw@cs.example.com", "must not carry credentials"),
        ("http://cs.example.com", "would send the credentials in clear"),
    ],
)
def test_bad_endpoints_are_refused(endpoint: str, fragment: str) -> None:
    assert fragment in problem(azure(endpoint=endpoint))


def test_plain_http_is_accepted_on_loopback_and_without_credentials() -> None:
    local = parse(azure(endpoint="http://127.0.0.1:5000/")).azure_content_safety
    assert local is not None
    assert local.endpoint == "http://127.0.0.1:5000"
    container = parse(
        azure(endpoint="http://content-safety:5000", auth={"type": "none"})
    ).azure_content_safety
    assert container is not None
    assert isinstance(container.auth, NoAuth)


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"timeout": 2}, "is not a known setting"),
        ({"timeout_seconds": 0}, "greater than 0"),
        ({"timeout_seconds": 61}, "less than or equal to 60"),
        ({"failure_mode": "fail_soft"}, "must be one of"),
        ({"api_version": "latest"}, "should match pattern"),
        ({"categories": []}, "at least 1 item"),
        ({"categories": ["Hate", "Hate"]}, "repeated: Hate"),
        ({"categories": ["Spam"]}, "must be one of"),
        ({"blocklist_names": ["has space"]}, "should match pattern"),
        ({"blocklist_names": ["a", "a"]}, "repeated: a"),
        ({"probe_interval_seconds": -1}, "greater than or equal to 0"),
        (
            {"checks": {"analyze": False, "shield_prompt": False, "shield_documents": False}},
            "every check is turned off",
        ),
        (
            {"checks": {"analyze": False}, "blocklist_names": ["list"]},
            "checks.analyze turns off",
        ),
        ({"auth": {"type": "api-key", "key": KEY}}, "azure_content_safety.auth"),
    ],
)
def test_bad_azure_settings_are_explained(fields: dict[str, Any], fragment: str) -> None:
    message = problem(azure(**fields))
    assert fragment in message
    assert KEY not in message


def test_settings_are_frozen() -> None:
    settings = parse(azure()).azure_content_safety
    assert settings is not None
    with pytest.raises(pydantic.ValidationError):
        settings.timeout_seconds = 5.0  # type: ignore[misc]


def test_guard_defaults() -> None:
    settings = parse(guard()).guard_model
    assert settings is not None
    assert settings.base_url == "http://guard:8000/v1"
    assert isinstance(settings.auth, NoAuth)
    assert settings.timeout_seconds == 2.0
    assert settings.failure_mode == "fail_open"
    assert settings.max_tokens == 24
    assert settings.category_map == DEFAULT_GUARD_CATEGORIES


def test_guard_auth_kinds() -> None:
    api_key = parse(guard(auth={"type": "api-key", "key": KEY})).guard_model
    assert api_key is not None
    assert isinstance(api_key.auth, ApiKeyAuth)
    bearer = parse(guard(auth={"type": "bearer", "token": KEY})).guard_model
    assert bearer is not None
    assert isinstance(bearer.auth, BearerAuth)
    assert KEY not in repr(bearer)


def test_default_mapping_follows_the_hazard_taxonomy() -> None:
    mapping = {code: (m.category, m.severity) for code, m in DEFAULT_GUARD_CATEGORIES.items()}
    assert mapping == {
        "S1": ("violence", 6),
        "S3": ("sexual", 6),
        "S4": ("sexual", 6),
        "S9": ("violence", 6),
        "S10": ("hate", 6),
        "S11": ("self_harm", 6),
        "S12": ("sexual", 4),
    }


def test_overrides_replace_single_codes_and_may_drop_a_category() -> None:
    settings = parse(guard(categories={"S12": {}, "S2": {"category": "violence"}})).guard_model
    assert settings is not None
    mapping = settings.category_map
    assert mapping["S12"].category is None
    assert mapping["S2"].category == "violence"
    assert mapping["S2"].severity == 6
    assert mapping["S1"] == DEFAULT_GUARD_CATEGORIES["S1"]


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"model": ""}, "at least 1 character"),
        ({"base_url": "guard:8000"}, "must start with http:// or https://"),
        ({"categories": {"violence": {"category": "violence"}}}, "is not a hazard code"),
        ({"categories": {"S0": {}}}, "is not a hazard code"),
        ({"categories": {"S1": {"category": "spam"}}}, "must be one of"),
        ({"categories": {"S1": {"severity": 8}}}, "less than or equal to 7"),
        ({"categories": {"S1": {"severity": 0}}}, "greater than or equal to 1"),
        ({"auth": {"type": "key", "key": KEY}}, "guard_model.auth"),
        ({"max_tokens": 0}, "greater than or equal to 1"),
        ({"temperature": 0}, "is not a known setting"),
    ],
)
def test_bad_guard_settings_are_explained(fields: dict[str, Any], fragment: str) -> None:
    message = problem(guard(**fields))
    assert fragment in message
    assert KEY not in message


def test_finding_categories_are_the_verdict_categories() -> None:
    assert set(get_args(FindingCategory)) == {category.value for category in Category}
