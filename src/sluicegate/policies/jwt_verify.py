"""JWT bearer tokens from trusted OIDC issuers (Microsoft Entra ID or any other).

Parsing and signature checks are PyJWT's; this module decides what is trusted: the issuer
(exact match), the audience, a public-key algorithm from the issuer's allow-list (never
`none`, never HMAC), a key from the issuer's JWKS, `exp`/`nbf`/`iat` with a small leeway.
Every failure becomes a 401 that says what was wrong without echoing the token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import jwt
from jwt.api_jwt import decode_complete

from sluicegate.config.auth import JwtIssuerSettings
from sluicegate.core.clock import Clock
from sluicegate.core.errors import AuthenticationFailed
from sluicegate.core.identity import Principal
from sluicegate.policies.api_keys import unauthenticated
from sluicegate.policies.jwks import JwksFileSource, JwksUrlSource, KeySource
from sluicegate.policies.jwt_claims import ClaimMapper

_REQUIRED = ["exp", "iss", "aud"]
_UNVERIFIED: Any = {"verify_signature": False}


def invalid_token(message: str) -> AuthenticationFailed:
    return unauthenticated(message, code="invalid_token", token_error=True)


def _translate(error: jwt.PyJWTError) -> AuthenticationFailed:
    if isinstance(error, jwt.ExpiredSignatureError):
        return invalid_token("The token has expired.")
    if isinstance(error, jwt.ImmatureSignatureError):
        return invalid_token("The token is not valid yet (its 'nbf' or 'iat' is in the future).")
    if isinstance(error, jwt.InvalidAudienceError):
        return invalid_token("The token is not meant for this gateway (wrong audience).")
    if isinstance(error, jwt.InvalidIssuerError):
        return invalid_token("The token's issuer is not trusted by this gateway.")
    if isinstance(error, jwt.InvalidSignatureError):
        return invalid_token("The token's signature is not valid.")
    if isinstance(error, jwt.MissingRequiredClaimError):
        return invalid_token(f"The token lacks the required claim '{error.claim}'.")
    if isinstance(error, jwt.InvalidAlgorithmError):
        return invalid_token("The token's signing algorithm does not match its key.")
    return invalid_token("The token is not valid.")


class IssuerVerifier:
    """Verifies tokens of one issuer and maps their claims."""

    __slots__ = ("_algorithms", "_audience", "_leeway", "_mapper", "_options", "_source", "issuer")

    def __init__(self, settings: JwtIssuerSettings, source: KeySource) -> None:
        self.issuer = settings.issuer
        self._audience = list(settings.audience)
        self._algorithms = frozenset(settings.algorithms)
        self._leeway = settings.leeway_seconds
        self._source = source
        self._mapper = ClaimMapper(settings.claims)
        self._options: Any = {"require": _REQUIRED, "enforce_minimum_key_length": True}

    async def verify(self, token: str, header: Mapping[str, Any]) -> Principal:
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise invalid_token(
                "The token's signing algorithm is not accepted; this issuer's tokens must use "
                f"{', '.join(sorted(self._algorithms))}."
            )
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise invalid_token("The token's 'kid' header is not a string.")
        key = await self._source.find(kid, alg)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self._audience,
                issuer=self.issuer,
                leeway=self._leeway,
                options=self._options,
            )
        except jwt.PyJWTError as error:
            raise _translate(error) from None
        return self._mapper.principal(claims)

    async def close(self) -> None:
        await self._source.close()


class JwtVerifier:
    """Picks the issuer a token names, then lets that issuer's verifier decide."""

    __slots__ = ("_issuers",)

    def __init__(self, issuers: Sequence[IssuerVerifier]) -> None:
        self._issuers = {issuer.issuer: issuer for issuer in issuers}

    async def verify(self, token: str) -> Principal:
        try:
            unverified = decode_complete(token, options=_UNVERIFIED)
        except jwt.PyJWTError:
            raise invalid_token("The bearer token is not a well-formed JWT.") from None
        issuer_name = unverified["payload"].get("iss")
        issuer = self._issuers.get(issuer_name) if isinstance(issuer_name, str) else None
        if issuer is None:
            raise invalid_token("The token's issuer is not trusted by this gateway.")
        return await issuer.verify(token, unverified["header"])

    async def close(self) -> None:
        for issuer in self._issuers.values():
            await issuer.close()


def key_source(
    settings: JwtIssuerSettings, clock: Clock, session: aiohttp.ClientSession | None = None
) -> KeySource:
    """The JWKS source an issuer's settings name (a URL, or a file read now)."""
    if settings.jwks_file is not None:
        return JwksFileSource(settings.jwks_file, settings.algorithms)
    assert settings.jwks_url is not None  # the settings guarantee one of the two
    return JwksUrlSource(
        settings.jwks_url,
        settings.algorithms,
        clock,
        cache_seconds=settings.jwks_cache_seconds,
        min_refresh_seconds=settings.jwks_min_refresh_seconds,
        timeout_seconds=settings.jwks_timeout_seconds,
        session=session,
    )


def build_jwt_verifier(
    issuers: Sequence[JwtIssuerSettings],
    clock: Clock,
    session: aiohttp.ClientSession | None = None,
) -> JwtVerifier | None:
    """A verifier for the configured issuers, or None when no issuer is configured."""
    if not issuers:
        return None
    return JwtVerifier(
        [IssuerVerifier(settings, key_source(settings, clock, session)) for settings in issuers]
    )
