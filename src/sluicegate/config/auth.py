"""Settings for who may call the gateway: gateway-issued keys and JWT bearer tokens.

Strict like the rest of the configuration: a typo, a weak algorithm or a JWKS fetched over
plain HTTP from another host stops start-up with a message that names the key and the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from sluicegate.config.strict import Strict

RoleName = Literal["admin", "operator", "app"]
"""The gateway's roles by name (the policy turns them into `core.identity.Role`)."""

ALL_MODELS = "*"
"""In a model list: every model."""

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""Signature algorithms a token may use. Public-key only: `none` proves nothing, and HS*
with a published key would let anyone who can read the JWKS mint tokens."""

MAX_KEY_CACHE_SECONDS = 1.0
"""A revoked key must stop working on every replica within a second."""

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class ClaimMapping(Strict):
    """How a verified token's claims become a team, a role and the models it may call."""

    subject_claim: str = "sub"
    """The claim naming the caller; tokens without it fall back to the app id."""
    role_claim: str = "roles"
    """Entra ID puts app roles in `roles`; a string or a list of strings."""
    roles: dict[str, RoleName] = Field(default_factory=dict)
    """Claim value → gateway role. With several, the most privileged wins (admin, operator,
    app)."""
    default_role: RoleName | None = None
    """Role for a verified token whose role claim maps to nothing; unset refuses it (403)."""
    group_claim: str = "groups"
    teams: dict[str, str] = Field(default_factory=dict)
    """Group → team. The first entry (in this order) that the token's groups contain wins."""
    app_id_claims: list[str] = Field(default_factory=lambda: ["azp", "appid"])
    """Claims naming the calling application (v2 and v1 Entra tokens)."""
    app_teams: dict[str, str] = Field(default_factory=dict)
    """App id → team, used when no group maps to a team."""
    default_team: str | None = None
    """Team for a token no group or app id maps; unset refuses it (403)."""
    models_by_role: dict[RoleName, list[str]] = Field(default_factory=dict)
    models_by_group: dict[str, list[str]] = Field(default_factory=dict)
    """Allowed models are the union over the token's role and groups; `*` means every model."""
    default_models: list[str] = Field(default_factory=lambda: [ALL_MODELS], min_length=1)
    """Allowed models when neither the role nor any group has an entry."""

    @field_validator("models_by_role", "models_by_group")
    @classmethod
    def _lists_not_empty(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, models in value.items():
            if not models:
                raise ValueError(
                    f"'{name}' has an empty model list; name the models it may call, "
                    f"or '{ALL_MODELS}' for every model"
                )
        return value

    @field_validator("app_id_claims")
    @classmethod
    def _some_app_claim(cls, value: list[str]) -> list[str]:
        if any(not claim for claim in value):
            raise ValueError("claim names must not be empty")
        return value


class JwtIssuerSettings(Strict):
    """One trusted token issuer (an Entra ID tenant or any OIDC provider)."""

    issuer: str = Field(min_length=1)
    """Must equal the token's `iss` claim exactly."""
    audience: list[str] = Field(min_length=1)
    """Accepted `aud` values (for Entra ID: the API's application id URI or client id)."""
    jwks_url: str | None = None
    jwks_file: Path | None = None
    algorithms: list[str] = Field(default_factory=lambda: ["RS256"], min_length=1)
    leeway_seconds: float = Field(default=60.0, ge=0, le=300)
    """Clock skew tolerated on `exp`, `nbf` and `iat`."""
    jwks_cache_seconds: float = Field(default=3600.0, ge=1)
    """How long fetched keys are used before they are fetched again."""
    jwks_min_refresh_seconds: float = Field(default=30.0, ge=0)
    """Least time between two fetches, so tokens with made-up key ids cannot hammer the
    issuer."""
    jwks_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    claims: ClaimMapping = ClaimMapping()

    @field_validator("audience", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("algorithms")
    @classmethod
    def _public_key_only(cls, value: list[str]) -> list[str]:
        for name in value:
            if name.lower() == "none":
                raise ValueError("'none' is refused: an unsigned token proves nothing")
            if name.upper().startswith("HS"):
                raise ValueError(
                    f"'{name}' is refused: HMAC needs a shared secret, and with a public "
                    "JWKS anyone could sign tokens; use RS256, PS256 or ES256"
                )
            if name not in ASYMMETRIC_ALGORITHMS:
                raise ValueError(
                    f"'{name}' is not a supported algorithm; use one of: "
                    f"{', '.join(sorted(ASYMMETRIC_ALGORITHMS))}"
                )
        return value

    @field_validator("jwks_url")
    @classmethod
    def _https_unless_loopback(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value
        if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
            return value
        raise ValueError(
            "must be an https:// URL (plain http is accepted for 127.0.0.1 and localhost "
            "only, since whoever can change the keys can mint tokens)"
        )

    @model_validator(mode="after")
    def _one_key_source(self) -> JwtIssuerSettings:
        if (self.jwks_url is None) == (self.jwks_file is None):
            raise ValueError(
                f"issuer '{self.issuer}' needs exactly one of 'jwks_url' (fetched and cached) "
                "or 'jwks_file' (a local JWKS document)"
            )
        return self


class TeamAccess(Strict):
    models: list[str] = Field(min_length=1)
    """Models the team's keys and tokens may call; `*` means every model."""


class AuthSettings(Strict):
    """Who may call the gateway. Secure by default: every model call needs a key or token."""

    enabled: bool = True
    """False lets every request through as an anonymous admin (local experiments only)."""
    mode: Literal["enforce", "shadow"] = "enforce"
    """`shadow` logs what would be denied and lets it pass."""
    key_cache_seconds: float = Field(default=MAX_KEY_CACHE_SECONDS, ge=0)
    """How long a key lookup is reused in process; at most 1 s so revocation reaches every
    replica within a second."""
    key_cache_entries: int = Field(default=10_000, ge=1)
    lookup_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    """Longest a request waits for the database to look up its key or team; past it a key
    lookup answers 503 (a hung database must not hold every request for the driver's timeout)
    and a team lookup uses the last known record."""
    jwt: list[JwtIssuerSettings] = Field(default_factory=list)
    teams: dict[str, TeamAccess] = Field(default_factory=dict)
    """Per-team model allow-lists; a team not listed may call every model."""
    anonymous_team: str = Field(default="anonymous", min_length=1)
    """Team of the anonymous caller (auth off, or shadow mode without a valid credential)."""

    @field_validator("key_cache_seconds")
    @classmethod
    def _fast_revocation(cls, value: float) -> float:
        if value > MAX_KEY_CACHE_SECONDS:
            raise ValueError(
                f"must be at most {MAX_KEY_CACHE_SECONDS:g} s, so that a revoked key stops "
                "working on every replica within a second"
            )
        return value

    @model_validator(mode="after")
    def _issuers_unique(self) -> AuthSettings:
        names = [issuer.issuer for issuer in self.jwt]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"each issuer may be listed once; repeated: {', '.join(repeated)} "
                "(list several audiences under one entry instead)"
            )
        return self
