"""Who is calling, and may they call this model: the first policy of every chain.

A request presents a gateway key or a JWT (`api-key` or `Authorization: Bearer`). Keys are
hashed once and looked up through a cache of at most 1 s; tokens are verified against their
issuer's JWKS. The resulting Principal is set on the exchange for the policies after this one
(quotas, usage). Then the role and the model allow-lists of the key (or token) and its team are
checked. Neither a key nor a token ever appears in an error or a log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

import aiohttp

from sluicegate.config.auth import AuthSettings
from sluicegate.config.loader import ConfigError
from sluicegate.core.clock import Clock
from sluicegate.core.errors import GatewayError, PermissionDenied, ServiceUnavailable
from sluicegate.core.exchange import Exchange
from sluicegate.core.identity import KeyRecord, KeyStore, Principal, Role, TeamRecord
from sluicegate.core.policy import Handler
from sluicegate.core.reply import Reply
from sluicegate.policies.api_keys import (
    KEY_PREFIX,
    hash_key,
    looks_like_jwt,
    looks_like_key,
    read_credential,
    unauthenticated,
)
from sluicegate.policies.jwt_verify import JwtVerifier, build_jwt_verifier
from sluicegate.policies.key_cache import KeyCache
from sluicegate.policies.teams import TeamDirectory, configured_teams

log = logging.getLogger("sluicegate.auth")

ANONYMOUS = "anonymous"
MODEL_ROLES = frozenset({Role.ADMIN, Role.APP})
"""Roles that may call models; an operator reads usage and health only."""


class Authenticator:
    """Resolves a request's credential to a Principal; the admin API can reuse it."""

    __slots__ = ("_clock", "_jwt", "_keys", "_lookup_timeout")

    def __init__(
        self,
        keys: KeyCache | None,
        jwt: JwtVerifier | None,
        clock: Clock,
        *,
        lookup_timeout: float = 2.0,
    ) -> None:
        self._keys = keys
        self._jwt = jwt
        self._clock = clock
        self._lookup_timeout = lookup_timeout

    async def authenticate(self, headers: Mapping[str, str]) -> Principal:
        """The caller, or AuthenticationFailed (401) / PermissionDenied (403) /
        ServiceUnavailable (503) when the key store or the issuer cannot be reached."""
        credential = read_credential(headers)
        if looks_like_key(credential) and self._keys is not None:
            return await self._key_principal(hash_key(credential))
        if self._jwt is not None and looks_like_jwt(credential):
            return await self._jwt.verify(credential)
        accepted = f"a key issued by this gateway (it starts with '{KEY_PREFIX}')"
        if self._jwt is not None:
            accepted += " or a JWT from a trusted issuer"
        raise unauthenticated(f"The API key or token is not valid; send {accepted}.")

    def invalidate(self, key_hash: str | None = None) -> None:
        """Forget cached key lookups now (after a revocation on this replica)."""
        if self._keys is not None:
            self._keys.invalidate(key_hash)

    async def close(self) -> None:
        if self._jwt is not None:
            await self._jwt.close()

    async def _key_principal(self, key_hash: str) -> Principal:
        assert self._keys is not None
        try:
            async with asyncio.timeout(self._lookup_timeout):
                record = await self._keys.find(key_hash)
        except GatewayError:
            raise
        except Exception as exc:
            # The store's own message may quote query parameters; log the kind only.
            log.error("key lookup failed: %s", type(exc).__name__)
            raise ServiceUnavailable(
                "API keys cannot be checked right now; try again shortly."
            ) from None
        if record is None:
            raise unauthenticated("The API key is not valid.")
        now = self._clock.wall()
        if record.revoked_at is not None and _epoch(record.revoked_at) <= now:
            raise unauthenticated("The API key has been revoked.")
        if record.expires_at is not None and _epoch(record.expires_at) <= now:
            raise unauthenticated("The API key has expired.")
        return principal_of(record)


def principal_of(record: KeyRecord) -> Principal:
    return Principal(
        subject=record.key_id,
        team=record.team,
        role=record.role,
        models=record.models,
        limits=record.limits,
        via="key",
        budget=record.budget,
    )


def _epoch(moment: datetime) -> float:
    """Seconds since the epoch; a naive datetime (as SQLite returns them) is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def authorize(
    principal: Principal,
    route: str,
    requested: str,
    team: TeamRecord | None,
) -> None:
    """Raise PermissionDenied unless the principal may call this model.

    A model is allowed when an allow-list names either the route or the name the client asked
    for (an alias or an Azure deployment name). Team lists restrict every key of the team.
    """
    if principal.role not in MODEL_ROLES:
        raise PermissionDenied(
            f"The role '{principal.role}' may read usage and health but not call models; "
            "use a key or token with the role 'app' or 'admin'."
        )
    what = "token" if principal.via == "jwt" else "key"
    if not (principal.may_call(route) or principal.may_call(requested)):
        raise PermissionDenied(
            f"This {what} may not call the model '{requested}'. It may call: "
            f"{', '.join(sorted(principal.models))}.",
            param="model",
        )
    allowed = team.models if team is not None else frozenset()
    if allowed and route not in allowed and requested not in allowed:
        raise PermissionDenied(
            f"The team '{principal.team}' may not call the model '{requested}'. It may call: "
            f"{', '.join(sorted(allowed))}.",
            param="model",
        )


class AuthPolicy:
    """Policy: authenticate, set `exchange.principal`, check role and model allow-lists.

    With `authenticator=None` authentication is off and every caller is an anonymous admin.
    In shadow mode a denial is logged and the request passes (as an anonymous app when the
    caller could not be identified).
    """

    __slots__ = ("_anonymous", "_authenticator", "_enforce", "_shadow_principal", "_teams")

    def __init__(
        self,
        authenticator: Authenticator | None,
        *,
        enforce: bool = True,
        teams: TeamDirectory | None = None,
        anonymous_team: str = ANONYMOUS,
    ) -> None:
        """`teams` supplies each caller's team (allow-list, limits, budget); None: no teams."""
        self._authenticator = authenticator
        self._enforce = enforce
        self._teams = teams
        self._anonymous = Principal(ANONYMOUS, anonymous_team, Role.ADMIN, via=ANONYMOUS)
        self._shadow_principal = Principal(ANONYMOUS, anonymous_team, Role.APP, via=ANONYMOUS)

    @property
    def authenticator(self) -> Authenticator | None:
        return self._authenticator

    async def __call__(self, exchange: Exchange, call_next: Handler) -> Reply:
        authenticator = self._authenticator
        if authenticator is None:
            if exchange.principal is None:
                exchange.principal = self._anonymous
                exchange.team = await self._team_of(self._anonymous)
            return await call_next(exchange)
        principal = exchange.principal
        if principal is self._shadow_principal:
            return await call_next(exchange)  # identified in shadow mode, already logged
        try:
            if principal is None:
                principal = await authenticator.authenticate(exchange.client_headers)
                exchange.principal = principal
                exchange.team = await self._team_of(principal)
            authorize(principal, exchange.route, exchange.model, exchange.team)
        except GatewayError as denial:
            await self._deny(exchange, denial)
        return await call_next(exchange)

    async def identify(self, exchange: Exchange) -> None:
        """Authenticate before the model is known (a request that names a prompt template:
        its model may come from the template). Sets the principal and team, or refuses exactly
        as the chain would; the chain's pass then checks the model only, without a second
        credential check. Only this policy ever sets `exchange.principal`."""
        authenticator = self._authenticator
        if authenticator is None:
            exchange.principal = self._anonymous
            exchange.team = await self._team_of(self._anonymous)
            return
        try:
            principal = await authenticator.authenticate(exchange.client_headers)
            exchange.principal = principal
            exchange.team = await self._team_of(principal)
        except GatewayError as denial:
            await self._deny(exchange, denial)

    async def _deny(self, exchange: Exchange, denial: GatewayError) -> None:
        """Raise the denial (enforce), or log it and let the request pass (shadow)."""
        if self._enforce:
            log.info("refused request %s (%d): %s", exchange.request_id, denial.status, denial)
            raise denial
        log.warning(
            "shadow mode: would refuse request %s (%d): %s",
            exchange.request_id,
            denial.status,
            denial,
        )
        if exchange.principal is None:
            exchange.principal = self._shadow_principal
            exchange.team = await self._team_of(self._shadow_principal)

    async def _team_of(self, principal: Principal) -> TeamRecord | None:
        return await self._teams.get(principal.team) if self._teams is not None else None

    async def close(self) -> None:
        if self._authenticator is not None:
            await self._authenticator.close()


def build_auth_policy(
    settings: AuthSettings,
    keys: KeyStore | None,
    *,
    clock: Clock,
    teams: TeamDirectory | None = None,
    session: aiohttp.ClientSession | None = None,
) -> AuthPolicy:
    """The policy the settings describe. `keys` may be None when only JWTs are accepted;
    `teams` defaults to the teams of `settings`; `session` is the HTTP client for JWKS
    fetches (one is created when needed)."""
    if not settings.enabled:
        log.warning(
            "AUTHENTICATION IS OFF: every request is served as an anonymous admin. "
            "Use this for local experiments only."
        )
        return AuthPolicy(None, teams=teams, anonymous_team=settings.anonymous_team)
    cache = None
    if keys is not None:
        cache = KeyCache(
            keys, clock, ttl=settings.key_cache_seconds, max_entries=settings.key_cache_entries
        )
    if teams is None:
        teams = TeamDirectory(configured_teams(settings), None, clock)
    verifier = build_jwt_verifier(settings.jwt, clock, session)
    if cache is None and verifier is None:
        raise ConfigError(
            "auth: enabled, but there is neither a key store nor a JWT issuer (auth.jwt); "
            "add an issuer, or set auth.enabled: false for local experiments"
        )
    return AuthPolicy(
        Authenticator(cache, verifier, clock, lookup_timeout=settings.lookup_timeout_seconds),
        enforce=settings.mode == "enforce",
        teams=teams,
        anonymous_team=settings.anonymous_team,
    )
