"""Secure by default: on the first start with an empty key store, create an admin key and an
app key and show them once. Only their hashes are stored; nobody can show them again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sluicegate.core.identity import KeyRecord, KeyStore, Role
from sluicegate.policies.api_keys import generate_key, hash_key

FIRST_TEAM = "default"


@dataclass(frozen=True)
class FirstKeys:
    admin: str
    app: str


async def ensure_first_keys(store: KeyStore) -> FirstKeys | None:
    """Create the first two keys when the store holds none; None when keys exist already."""
    if await store.list():
        return None
    now = datetime.now(UTC)
    created: dict[Role, str] = {}
    for role, name in ((Role.ADMIN, "first-admin"), (Role.APP, "first-app")):
        key, key_id = generate_key()
        await store.add(
            KeyRecord(
                key_id=key_id,
                key_hash=hash_key(key),
                name=name,
                team=FIRST_TEAM,
                role=role,
                created_at=now,
            )
        )
        created[role] = key
    return FirstKeys(admin=created[Role.ADMIN], app=created[Role.APP])
