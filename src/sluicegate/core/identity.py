"""Who is calling: principals, roles, and where gateway-issued keys are looked up.

Keys are stored only as hashes; a `KeyStore` is asked by hash, never by the key itself, so no
store, log or error ever holds a usable secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sluicegate.core.budget import Budget


class Role(StrEnum):
    ADMIN = "admin"
    """Everything, key management included."""
    OPERATOR = "operator"
    """Reads usage and health; no key management."""
    APP = "app"
    """Calls the models it is allowed."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Quota limits attached to a key or team; None means no limit of that kind."""

    tpm: int | None = None
    rpm: int | None = None
    max_concurrency: int | None = None


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A gateway-issued key as stored: its hash and what it may do, never the key itself."""

    key_id: str
    key_hash: str
    name: str
    team: str
    role: Role
    models: frozenset[str] = frozenset()
    """Model names (routes) the key may call; empty means every model the team may call."""
    limits: Limits = field(default_factory=Limits)
    created_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    budget: Budget | None = None
    """The key's own spending budget; None means only its team's budget (if any) applies."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of one request."""

    subject: str
    """The key id, or the token's subject/app id."""
    team: str
    role: Role
    models: frozenset[str] = frozenset()
    limits: Limits = field(default_factory=Limits)
    via: str = "key"
    """How the caller proved who they are: `key`, `jwt`, or `anonymous` with auth off."""
    budget: Budget | None = None
    """The caller's own spending budget (a key's); the team's is looked up by team."""

    def may_call(self, model: str) -> bool:
        return not self.models or model in self.models


class KeyStore(Protocol):
    """Gateway-issued keys, looked up by hash."""

    async def find_by_hash(self, key_hash: str) -> KeyRecord | None: ...

    async def get(self, key_id: str) -> KeyRecord | None:
        """The key with this id (for administration; requests look keys up by hash)."""
        ...

    async def add(self, record: KeyRecord) -> None: ...

    async def revoke(self, key_id: str, at: datetime) -> bool:
        """Mark a key revoked; False when no such key exists."""
        ...

    async def update(self, record: KeyRecord) -> bool:
        """Replace what the key `record.key_id` may do (name, team, role, models, limits,
        budget, expiry); its hash, creation and revocation times stay. False when unknown."""
        ...

    async def list(self, team: str | None = None) -> list[KeyRecord]: ...


@dataclass(frozen=True, slots=True)
class TeamRecord:
    """A team as managed through the CLI or the admin API: what its members may share."""

    name: str
    models: frozenset[str] = frozenset()
    """Models the team's keys and tokens may call; empty means every model."""
    limits: Limits = field(default_factory=Limits)
    """TPM and RPM shared by every key of the team (max_concurrency is per key, unused here)."""
    budget: Budget | None = None
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a team needs a name")


class TeamStore(Protocol):
    """Managed teams by name."""

    async def get(self, name: str) -> TeamRecord | None: ...

    async def put(self, record: TeamRecord) -> bool:
        """Create or replace the team; True when it was new."""
        ...

    async def delete(self, name: str) -> bool:
        """False when no such team exists."""
        ...

    async def list(self) -> list[TeamRecord]: ...
