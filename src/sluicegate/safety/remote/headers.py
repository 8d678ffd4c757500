"""Where a remote detector's credentials come from, without knowing how they are obtained.

A client asks its header source for headers before every call. Static keys are a fixed
mapping; Entra ID tokens come from a provider the composition root passes in (it caches and
refreshes them), so the safety package never learns how tokens are fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from sluicegate.config.credentials import ApiKeyAuth, BearerAuth, EntraAuth, NoAuth
from sluicegate.config.safety_remote import SubscriptionKeyAuth

SUBSCRIPTION_KEY_HEADER = "Ocp-Apim-Subscription-Key"


class HeaderSource(Protocol):
    async def headers(self) -> Mapping[str, str]:
        """Headers that prove the caller may use the service, for one call."""
        ...


class StaticHeaders:
    """Headers that never change (a key, a fixed bearer token, or none)."""

    __slots__ = ("_headers",)

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers: Mapping[str, str] = dict(headers)

    async def headers(self) -> Mapping[str, str]:
        return self._headers

    def __repr__(self) -> str:
        return f"StaticHeaders(names={sorted(self._headers)})"


def static_headers(
    auth: SubscriptionKeyAuth | ApiKeyAuth | BearerAuth | NoAuth | EntraAuth,
) -> StaticHeaders | None:
    """The headers for a fixed credential; None for Entra, whose provider the caller supplies."""
    if isinstance(auth, SubscriptionKeyAuth):
        return StaticHeaders({SUBSCRIPTION_KEY_HEADER: auth.key.get_secret_value()})
    if isinstance(auth, ApiKeyAuth):
        return StaticHeaders({"api-key": auth.key.get_secret_value()})
    if isinstance(auth, BearerAuth):
        return StaticHeaders({"Authorization": f"Bearer {auth.token.get_secret_value()}"})
    if isinstance(auth, NoAuth):
        return StaticHeaders({})
    return None
