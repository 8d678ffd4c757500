"""Turn a verified token's claims into a Principal: subject, team, role, allowed models.

Everything that can be precomputed from the mapping is, once, at start-up. A verified token
that maps to no role or no team is refused with 403: the issuer vouched for the caller, but
this gateway was not told what they may do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluicegate.config.auth import ALL_MODELS, ClaimMapping
from sluicegate.core.errors import PermissionDenied
from sluicegate.core.identity import Principal, Role
from sluicegate.policies.api_keys import unauthenticated

ROLE_PRECEDENCE = (Role.ADMIN, Role.OPERATOR, Role.APP)
"""With several mapped roles the first here wins: operator reads everyone's usage, so it
ranks above app."""


def claim_values(claims: Mapping[str, Any], name: str) -> list[str]:
    """A claim as a list of strings; tokens carry roles and groups as a string or a list."""
    value = claims.get(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


class ClaimMapper:
    __slots__ = (
        "_app_claims",
        "_app_teams",
        "_default_models",
        "_default_role",
        "_default_team",
        "_group_claim",
        "_group_teams",
        "_models_by_group",
        "_models_by_role",
        "_role_claim",
        "_roles",
        "_subject_claim",
    )

    def __init__(self, mapping: ClaimMapping) -> None:
        self._subject_claim = mapping.subject_claim
        self._role_claim = mapping.role_claim
        self._roles = {value: Role(name) for value, name in mapping.roles.items()}
        self._default_role = Role(mapping.default_role) if mapping.default_role else None
        self._group_claim = mapping.group_claim
        self._group_teams = tuple(mapping.teams.items())
        self._app_claims = tuple(mapping.app_id_claims)
        self._app_teams = dict(mapping.app_teams)
        self._default_team = mapping.default_team
        self._models_by_role = {
            Role(name): frozenset(models) for name, models in mapping.models_by_role.items()
        }
        self._models_by_group = {
            group: frozenset(models) for group, models in mapping.models_by_group.items()
        }
        self._default_models = frozenset(mapping.default_models)

    def principal(self, claims: Mapping[str, Any]) -> Principal:
        app_id = self._app_id(claims)
        subject = claims.get(self._subject_claim)
        if not isinstance(subject, str) or not subject:
            subject = app_id
        if not subject:
            raise unauthenticated(
                f"The token names no caller (no '{self._subject_claim}' or app id claim).",
                code="invalid_token",
                token_error=True,
            )
        groups = claim_values(claims, self._group_claim)
        role = self._role(claims)
        return Principal(
            subject=subject,
            team=self._team(groups, app_id),
            role=role,
            models=self._models(role, groups),
            via="jwt",
        )

    def _app_id(self, claims: Mapping[str, Any]) -> str | None:
        for name in self._app_claims:
            value = claims.get(name)
            if isinstance(value, str) and value:
                return value
        return None

    def _role(self, claims: Mapping[str, Any]) -> Role:
        roles = self._roles
        mapped = {
            roles[value] for value in claim_values(claims, self._role_claim) if value in roles
        }
        for role in ROLE_PRECEDENCE:
            if role in mapped:
                return role
        if self._default_role is not None:
            return self._default_role
        raise PermissionDenied(
            f"The token is valid but carries no role this gateway grants (claim "
            f"'{self._role_claim}'); ask the gateway's operator to map one."
        )

    def _team(self, groups: list[str], app_id: str | None) -> str:
        if groups:
            member_of = set(groups)
            for group, team in self._group_teams:
                if group in member_of:
                    return team
        if app_id is not None and app_id in self._app_teams:
            return self._app_teams[app_id]
        if self._default_team is not None:
            return self._default_team
        raise PermissionDenied(
            f"The token is valid but belongs to no team this gateway knows (claim "
            f"'{self._group_claim}' or the app id); ask the gateway's operator to map one."
        )

    def _models(self, role: Role, groups: list[str]) -> frozenset[str]:
        allowed: set[str] = set()
        matched = False
        by_role = self._models_by_role.get(role)
        if by_role is not None:
            allowed |= by_role
            matched = True
        for group in groups:
            by_group = self._models_by_group.get(group)
            if by_group is not None:
                allowed |= by_group
                matched = True
        if not matched:
            allowed = set(self._default_models)
        # An empty set means every model (see Principal.may_call).
        return frozenset() if ALL_MODELS in allowed else frozenset(allowed)
