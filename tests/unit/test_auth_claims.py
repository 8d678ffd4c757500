"""Claim mapping: verified claims → subject, team, role and allowed models, by config."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.config.auth import ClaimMapping
from sluicegate.core.errors import AuthenticationFailed, PermissionDenied
from sluicegate.core.identity import Role
from sluicegate.policies.jwt_claims import ClaimMapper, claim_values

MAPPING: dict[str, Any] = {
    "roles": {"Gw.App": "app", "Gw.Ops": "operator", "Gw.Admin": "admin"},
    "teams": {"g-research": "research", "g-sales": "sales"},
    "app_teams": {"app-batch": "batch"},
    "models_by_role": {"admin": ["*"]},
    "models_by_group": {"g-research": ["gpt-4o"], "g-sales": ["gpt-4o-mini"]},
    "default_models": ["gpt-4o-mini"],
}


def mapper(**overrides: Any) -> ClaimMapper:
    return ClaimMapper(ClaimMapping.model_validate({**MAPPING, **overrides}))


def test_claim_values_accept_strings_and_lists_only() -> None:
    assert claim_values({"roles": "a"}, "roles") == ["a"]
    assert claim_values({"roles": ["a", 1, "b"]}, "roles") == ["a", "b"]
    assert claim_values({"roles": {"a": 1}}, "roles") == []
    assert claim_values({}, "roles") == []


def test_most_privileged_mapped_role_wins() -> None:
    claims = {"sub": "s", "roles": ["Gw.App", "Gw.Ops", "Unknown"], "groups": ["g-sales"]}
    assert mapper().principal(claims).role is Role.OPERATOR
    claims["roles"] = ["Gw.Admin", "Gw.Ops"]
    assert mapper().principal(claims).role is Role.ADMIN


def test_unmapped_role_uses_the_default_or_is_forbidden() -> None:
    claims = {"sub": "s", "roles": "Other", "groups": ["g-sales"]}
    assert mapper(default_role="app").principal(claims).role is Role.APP
    with pytest.raises(PermissionDenied, match="claim 'roles'"):
        mapper().principal(claims)


def test_role_claim_name_is_configurable() -> None:
    claims = {"sub": "s", "scp": "Gw.App", "groups": ["g-sales"]}
    assert mapper(role_claim="scp").principal(claims).role is Role.APP


def test_team_follows_the_configured_group_order() -> None:
    claims = {"sub": "s", "roles": "Gw.App", "groups": ["g-sales", "g-research"]}
    assert mapper().principal(claims).team == "research"


def test_team_from_app_id_then_default() -> None:
    claims = {"sub": "s", "roles": "Gw.App", "appid": "app-batch"}
    assert mapper().principal(claims).team == "batch"
    claims["appid"] = "app-unknown"
    assert mapper(default_team="misc").principal(claims).team == "misc"
    with pytest.raises(PermissionDenied, match="no team"):
        mapper().principal(claims)


def test_models_are_the_union_of_role_and_groups() -> None:
    claims = {"sub": "s", "roles": "Gw.App", "groups": ["g-research", "g-sales"]}
    assert mapper().principal(claims).models == frozenset({"gpt-4o", "gpt-4o-mini"})


def test_star_means_every_model() -> None:
    claims = {"sub": "s", "roles": "Gw.Admin", "groups": ["g-research"]}
    principal = mapper().principal(claims)
    assert principal.models == frozenset()
    assert principal.may_call("anything")


def test_default_models_apply_when_nothing_matches() -> None:
    claims = {"sub": "s", "roles": "Gw.App", "appid": "app-batch"}
    assert mapper().principal(claims).models == frozenset({"gpt-4o-mini"})
    assert mapper(default_models=["*"]).principal(claims).models == frozenset()


def test_subject_falls_back_to_the_app_id_and_is_required() -> None:
    claims: dict[str, Any] = {"roles": "Gw.App", "azp": "app-batch"}
    assert mapper().principal(claims).subject == "app-batch"
    assert mapper(subject_claim="oid").principal({**claims, "oid": "o-1"}).subject == "o-1"
    with pytest.raises(AuthenticationFailed, match="names no caller"):
        mapper(default_team="t").principal({"roles": "Gw.App"})
