"""The backend's own credentials: the headers that prove the gateway may call it.

Static keys are turned into headers once. Entra ID tokens are fetched through azure-identity
(optional extra `entra`), cached until shortly before they expire and refreshed by one caller
at a time, so a burst of requests costs one token request, not thousands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from sluicegate.config.credentials import ApiKeyAuth, BackendAuth, BearerAuth, EntraAuth, NoAuth
from sluicegate.config.loader import ConfigError
from sluicegate.core.clock import Clock
from sluicegate.core.errors import UpstreamError

REFRESH_MARGIN_SECONDS = 300.0
"""Refresh an Entra token this long before it expires."""
RETRY_AFTER_FAILURE_SECONDS = 10.0
"""After a failed refresh, keep using the still-valid token this long before trying again."""


class UpstreamCredentialsError(UpstreamError):
    """The backend's credentials could not be obtained; another backend may still answer."""

    code = "upstream_credentials_unavailable"


class CredentialProvider(Protocol):
    async def headers(self) -> Mapping[str, str]:
        """Headers to add to every upstream request."""
        ...

    async def close(self) -> None: ...


class StaticCredentials:
    """Credentials that never change (none, an api-key, a bearer token)."""

    __slots__ = ("_headers",)

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers: Mapping[str, str] = dict(headers)

    @property
    def values(self) -> Mapping[str, str]:
        """The headers themselves, for callers that merge them once at start-up."""
        return self._headers

    async def headers(self) -> Mapping[str, str]:
        return self._headers

    async def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"StaticCredentials(headers={sorted(self._headers)})"


class TokenCredential(Protocol):
    """What azure-identity's async credentials offer (and what tests fake)."""

    async def get_token(self, *scopes: str) -> Any: ...


class EntraCredentials:
    """Bearer tokens from Microsoft Entra ID, cached until ~5 minutes before expiry."""

    __slots__ = (
        "_cached",
        "_clock",
        "_credential",
        "_expires_on",
        "_lock",
        "_refresh_at",
        "_scope",
    )

    def __init__(self, scope: str, clock: Clock, credential: TokenCredential) -> None:
        self._scope = scope
        self._clock = clock
        self._credential = credential
        self._lock = asyncio.Lock()
        self._cached: Mapping[str, str] | None = None
        self._expires_on = 0.0
        self._refresh_at = 0.0

    async def headers(self) -> Mapping[str, str]:
        cached = self._cached
        if cached is not None and self._clock.wall() < self._refresh_at:
            return cached
        async with self._lock:
            if self._cached is not None and self._clock.wall() < self._refresh_at:
                return self._cached
            return await self._refresh()

    async def _refresh(self) -> Mapping[str, str]:
        now = self._clock.wall()
        try:
            token = await self._credential.get_token(self._scope)
            value, expires_on = str(token.token), float(token.expires_on)
        except Exception as exc:
            if self._cached is not None and now < self._expires_on:
                self._refresh_at = min(now + RETRY_AFTER_FAILURE_SECONDS, self._expires_on)
                return self._cached
            raise UpstreamCredentialsError(
                f"could not obtain an Entra ID token ({type(exc).__name__})"
            ) from None
        lifetime = max(0.0, expires_on - now)
        self._refresh_at = expires_on - min(REFRESH_MARGIN_SECONDS, lifetime / 2)
        self._expires_on = expires_on
        self._cached = {"Authorization": f"Bearer {value}"}
        return self._cached

    async def close(self) -> None:
        close = getattr(self._credential, "close", None)
        if close is not None:
            await close()

    def __repr__(self) -> str:
        return f"EntraCredentials(scope={self._scope!r})"


def default_azure_credential(managed_identity_client_id: str | None) -> TokenCredential:
    """azure-identity's DefaultAzureCredential, imported only when Entra auth is configured."""
    try:
        from azure.identity.aio import DefaultAzureCredential
    except ImportError:
        raise ConfigError(
            "auth type 'entra' needs the azure-identity package; "
            "install it with: pip install 'sluicegate[entra]'"
        ) from None
    if managed_identity_client_id:
        credential: TokenCredential = DefaultAzureCredential(
            managed_identity_client_id=managed_identity_client_id
        )
    else:
        credential = DefaultAzureCredential()
    return credential


def credentials_for(
    auth: BackendAuth, clock: Clock, credential: TokenCredential | None = None
) -> CredentialProvider:
    """The provider for a backend's `auth` settings; `credential` replaces Entra's default."""
    if isinstance(auth, NoAuth):
        return StaticCredentials({})
    if isinstance(auth, ApiKeyAuth):
        return StaticCredentials({"api-key": auth.key.get_secret_value()})
    if isinstance(auth, BearerAuth):
        return StaticCredentials({"Authorization": f"Bearer {auth.token.get_secret_value()}"})
    if isinstance(auth, EntraAuth):
        if credential is None:
            credential = default_azure_credential(auth.managed_identity_client_id)
        return EntraCredentials(auth.scope, clock, credential)
    raise TypeError(f"unknown backend auth type {type(auth).__name__}")
