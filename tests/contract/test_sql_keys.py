"""SqlKeyStore honours core.identity.KeyStore on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from tests.contract.conftest import SqlTarget

from sluicegate.core.identity import KeyRecord, KeyStore, Limits, Role
from sluicegate.stores.sql import Database, DuplicateKey, SqlKeyStore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def key(key_id: str, key_hash: str, *, team: str = "search", **fields: object) -> KeyRecord:
    values: dict[str, object] = {
        "name": f"{key_id} name",
        "team": team,
        "role": Role.APP,
        "created_at": T0,
    }
    values.update(fields)
    return KeyRecord(key_id=key_id, key_hash=key_hash, **values)  # type: ignore[arg-type]


@pytest.fixture
def keys(sql_db: Database) -> SqlKeyStore:
    return SqlKeyStore(sql_db)


def test_implements_the_key_store_protocol(keys: SqlKeyStore) -> None:
    store: KeyStore = keys
    assert store is keys


async def test_add_then_find_by_hash_returns_every_field(keys: SqlKeyStore) -> None:
    record = key(
        "k-1",
        "hash-1",
        role=Role.OPERATOR,
        models=frozenset({"gpt-4o", "gpt-4o-mini"}),
        limits=Limits(tpm=20_000, rpm=120, max_concurrency=4),
        expires_at=T0 + timedelta(days=30),
    )
    await keys.add(record)
    assert await keys.find_by_hash("hash-1") == record
    assert await keys.get("k-1") == record


async def test_times_come_back_in_utc_whatever_zone_went_in(keys: SqlKeyStore) -> None:
    paris = timezone(timedelta(hours=1))
    await keys.add(key("k-1", "hash-1", created_at=datetime(2025, 3, 1, 13, 0, tzinfo=paris)))
    found = await keys.find_by_hash("hash-1")
    assert found is not None
    assert found.created_at == T0
    assert found.created_at.utcoffset() == timedelta(0)


async def test_unknown_hash_is_none(keys: SqlKeyStore) -> None:
    await keys.add(key("k-1", "hash-1"))
    assert await keys.find_by_hash("hash-2") is None
    assert await keys.get("k-2") is None


async def test_duplicate_hash_is_refused_without_echoing_it(keys: SqlKeyStore) -> None:
    await keys.add(key("k-1", "hash-secret-1"))
    with pytest.raises(DuplicateKey, match="same hash") as raised:
        await keys.add(key("k-2", "hash-secret-1"))
    assert "hash-secret-1" not in str(raised.value)
    assert raised.value.status == 409
    assert [record.key_id for record in await keys.list()] == ["k-1"]


async def test_duplicate_id_is_refused(keys: SqlKeyStore) -> None:
    await keys.add(key("k-1", "hash-1"))
    with pytest.raises(DuplicateKey, match="id 'k-1'"):
        await keys.add(key("k-1", "hash-2"))
    assert await keys.find_by_hash("hash-2") is None


async def test_revoke_marks_the_key_and_keeps_the_earliest_time(keys: SqlKeyStore) -> None:
    await keys.add(key("k-1", "hash-1"))
    revoked = T0 + timedelta(hours=1)
    assert await keys.revoke("k-1", revoked) is True
    assert await keys.revoke("k-1", revoked + timedelta(hours=1)) is True
    found = await keys.find_by_hash("hash-1")
    assert found is not None
    assert found.revoked_at == revoked
    assert await keys.revoke("k-1", revoked - timedelta(minutes=5)) is True
    found = await keys.find_by_hash("hash-1")
    assert found is not None
    assert found.revoked_at == revoked - timedelta(minutes=5)


async def test_revoke_unknown_key_is_false(keys: SqlKeyStore) -> None:
    assert await keys.revoke("nope", T0) is False


async def test_revoke_leaves_other_keys_alone(keys: SqlKeyStore) -> None:
    await keys.add(key("k-1", "hash-1"))
    await keys.add(key("k-2", "hash-2"))
    await keys.revoke("k-1", T0)
    other = await keys.find_by_hash("hash-2")
    assert other is not None
    assert other.revoked_at is None


async def test_list_is_oldest_first_and_filters_by_team(keys: SqlKeyStore) -> None:
    await keys.add(key("k-b", "hash-b", team="search", created_at=T0 + timedelta(minutes=2)))
    await keys.add(key("k-a", "hash-a", team="ads", created_at=T0 + timedelta(minutes=1)))
    await keys.add(key("k-c", "hash-c", team="search", created_at=T0))
    assert [record.key_id for record in await keys.list()] == ["k-c", "k-a", "k-b"]
    assert [record.key_id for record in await keys.list("search")] == ["k-c", "k-b"]
    assert await keys.list("nobody") == []


async def test_naive_times_are_refused(keys: SqlKeyStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await keys.add(key("k-1", "hash-1", created_at=datetime(2025, 1, 1)))
    with pytest.raises(ValueError, match="timezone-aware"):
        await keys.revoke("k-1", datetime(2025, 1, 1))
    assert await keys.list() == []


async def test_a_revocation_is_seen_through_another_connection_pool(
    sql_db: Database, sql_target: SqlTarget
) -> None:
    replica = sql_target.open()
    try:
        here, there = SqlKeyStore(sql_db), SqlKeyStore(replica)
        await here.add(key("k-1", "hash-1"))
        assert await there.find_by_hash("hash-1") is not None
        await here.revoke("k-1", T0)
        found = await there.find_by_hash("hash-1")
        assert found is not None
        assert found.revoked_at == T0
    finally:
        await replica.close()
