"""Gateway-issued keys: format, entropy, hashing, how they are read, and the in-memory store."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from multidict import CIMultiDict

from sluicegate.core.errors import AuthenticationFailed
from sluicegate.core.identity import KeyRecord, Role
from sluicegate.policies.api_keys import (
    KEY_PREFIX,
    generate_key,
    hash_key,
    key_id_of,
    looks_like_jwt,
    looks_like_key,
    read_credential,
)
from sluicegate.stores.keys_memory import DuplicateKeyError, MemoryKeyStore


def test_generated_key_has_prefix_id_and_256_bit_secret() -> None:
    key, key_id = generate_key()
    assert key.startswith(f"{KEY_PREFIX}{key_id}-")
    secret = key.removeprefix(f"{KEY_PREFIX}{key_id}-")
    raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    assert len(raw) * 8 >= 256
    assert key_id_of(key) == key_id
    assert looks_like_key(key)
    assert not looks_like_jwt(key)


def test_generated_keys_and_ids_are_unique() -> None:
    keys = [generate_key() for _ in range(200)]
    assert len({key for key, _ in keys}) == 200
    assert len({key_id for _, key_id in keys}) == 200


def test_hash_is_sha256_hex_and_not_the_key() -> None:
    key, _ = generate_key()
    digest = hash_key(key)
    assert digest == hashlib.sha256(key.encode()).hexdigest()
    assert len(digest) == 64
    assert key not in digest
    assert hash_key(key) == digest  # stable, so lookup by hash works


@pytest.mark.parametrize("text", ["sk-abc", "sg-", "sg-short-secret", "sg-0123456789ab", ""])
def test_key_id_of_rejects_malformed_keys(text: str) -> None:
    assert key_id_of(text) is None


def test_bearer_header_is_read() -> None:
    assert read_credential(CIMultiDict({"Authorization": "Bearer sg-abc"})) == "sg-abc"
    assert read_credential(CIMultiDict({"authorization": "bearer  sg-abc "})) == "sg-abc"


def test_api_key_header_is_read_and_wins_over_bearer() -> None:
    assert read_credential(CIMultiDict({"api-key": "sg-azure"})) == "sg-azure"
    both = CIMultiDict({"Api-Key": "sg-azure", "Authorization": "Bearer sg-openai"})
    assert read_credential(both) == "sg-azure"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer "}, {"api-key": "  "}, {"Authorization": ""}],
)
def test_missing_credential_names_the_accepted_headers(headers: dict[str, str]) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        read_credential(CIMultiDict(headers))
    assert caught.value.status == 401
    assert "Authorization: Bearer" in caught.value.message
    assert "api-key" in caught.value.message
    assert caught.value.headers["WWW-Authenticate"].startswith("Bearer")


def test_other_authorization_schemes_are_refused_without_echo() -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        read_credential(CIMultiDict({"Authorization": "Basic dXNlcjpzZWNyZXQ="}))
    assert "Bearer" in caught.value.message
    assert "dXNlcjpzZWNyZXQ" not in caught.value.message


def record(key_id: str, team: str = "research", **extra: object) -> KeyRecord:
    return KeyRecord(
        key_id=key_id,
        key_hash=hash_key(f"sg-{key_id}-secret"),
        name=f"key {key_id}",
        team=team,
        role=Role.APP,
        **extra,  # type: ignore[arg-type]
    )


async def test_memory_store_finds_by_hash_and_lists_by_team() -> None:
    store = MemoryKeyStore([record("a"), record("b", team="ops")])
    await store.add(record("c"))
    found = await store.find_by_hash(hash_key("sg-a-secret"))
    assert found is not None
    assert found.key_id == "a"
    assert await store.find_by_hash(hash_key("sg-zzz-secret")) is None
    assert [r.key_id for r in await store.list()] == ["a", "b", "c"]
    assert [r.key_id for r in await store.list("research")] == ["a", "c"]


async def test_memory_store_refuses_duplicates() -> None:
    store = MemoryKeyStore([record("a")])
    with pytest.raises(DuplicateKeyError, match="'a'"):
        await store.add(record("a"))
    clash = KeyRecord("other", hash_key("sg-a-secret"), "n", "t", Role.APP)
    with pytest.raises(DuplicateKeyError, match="hash"):
        await store.add(clash)


async def test_memory_store_revocation_keeps_the_earliest_time() -> None:
    store = MemoryKeyStore([record("a")])
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert await store.revoke("a", now + timedelta(days=1))
    assert await store.revoke("a", now)
    assert await store.revoke("a", now + timedelta(days=2))
    found = await store.find_by_hash(hash_key("sg-a-secret"))
    assert found is not None
    assert found.revoked_at == now
    assert not await store.revoke("missing", now)


def test_memory_store_repr_shows_no_hashes() -> None:
    store = MemoryKeyStore([record("a")])
    assert hash_key("sg-a-secret") not in repr(store)
