"""Gateway-issued keys in SQL: `core.identity.KeyStore` on SQLite or PostgreSQL.

Only hashes are stored and looked up; the hash column is unique, so two keys can never collide,
and a refused insert never echoes the hash back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, case, select, update
from sqlalchemy.exc import IntegrityError

from sluicegate.core.identity import KeyRecord, Limits, Role
from sluicegate.stores.sql.budgets import budget_columns, budget_of
from sluicegate.stores.sql.database import Database
from sluicegate.stores.sql.errors import DuplicateKey, translated
from sluicegate.stores.sql.schema import api_keys
from sluicegate.stores.sql.types import require_aware


class SqlKeyStore:
    """Keys looked up by hash; revocation and listing for the admin API and the CLI."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def find_by_hash(self, key_hash: str) -> KeyRecord | None:
        """The stored record, revoked or expired ones included: the caller judges validity."""
        query = select(api_keys).where(api_keys.c.key_hash == key_hash)
        async with translated("looking up a key"), self._db.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else _record(row)

    async def get(self, key_id: str) -> KeyRecord | None:
        query = select(api_keys).where(api_keys.c.key_id == key_id)
        async with translated("reading a key"), self._db.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else _record(row)

    async def add(self, record: KeyRecord) -> None:
        """Store a new key; `DuplicateKey` when its id or its hash is already stored."""
        row = _row(record)
        async with translated("adding a key"):
            try:
                async with self._db.writer.begin() as conn:
                    await conn.execute(api_keys.insert().values(row))
            except IntegrityError as error:
                raise _duplicate(error, record.key_id) from None

    async def revoke(self, key_id: str, at: datetime) -> bool:
        """Mark a key revoked (an earlier revocation time is kept); False for an unknown id."""
        require_aware("at", at)
        revoked_at = api_keys.c.revoked_at
        earliest = case((revoked_at.is_(None) | (revoked_at > at), at), else_=revoked_at)
        statement = update(api_keys).where(api_keys.c.key_id == key_id).values(revoked_at=earliest)
        async with translated("revoking a key"), self._db.writer.begin() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)

    async def update(self, record: KeyRecord) -> bool:
        """Replace what a key may do (name, team, role, models, limits, budget, expiry);
        its hash, creation and revocation stay. False for an unknown id."""
        row = _row(record)
        values = {
            name: value
            for name, value in row.items()
            if name not in ("key_id", "key_hash", "created_at", "revoked_at")
        }
        statement = update(api_keys).where(api_keys.c.key_id == record.key_id).values(values)
        async with translated("updating a key"), self._db.writer.begin() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)

    async def list(self, team: str | None = None) -> list[KeyRecord]:
        """Every key (of one team), oldest first."""
        query = select(api_keys).order_by(
            api_keys.c.created_at.asc().nulls_first(), api_keys.c.key_id
        )
        if team is not None:
            query = query.where(api_keys.c.team == team)
        async with translated("listing keys"), self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_record(row) for row in rows]


def _row(record: KeyRecord) -> dict[str, Any]:
    for name in ("created_at", "expires_at", "revoked_at"):
        require_aware(name, getattr(record, name))
    if not record.key_id or not record.key_hash:
        raise ValueError("a key record needs a key_id and a key_hash")
    return {
        "key_id": record.key_id,
        "key_hash": record.key_hash,
        "name": record.name,
        "team": record.team,
        "role": Role(record.role).value,
        "models": sorted(record.models),
        "tpm": record.limits.tpm,
        "rpm": record.limits.rpm,
        "max_concurrency": record.limits.max_concurrency,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "revoked_at": record.revoked_at,
        **budget_columns(record.budget),
    }


def _record(row: RowMapping) -> KeyRecord:
    return KeyRecord(
        key_id=row["key_id"],
        key_hash=row["key_hash"],
        name=row["name"],
        team=row["team"],
        role=Role(row["role"]),
        models=frozenset(row["models"] or ()),
        limits=Limits(tpm=row["tpm"], rpm=row["rpm"], max_concurrency=row["max_concurrency"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        budget=budget_of(row),
    )


def _duplicate(error: IntegrityError, key_id: str) -> DuplicateKey:
    if "key_hash" in str(error.orig):
        return DuplicateKey("a key with the same hash is already stored; generate a new key")
    return DuplicateKey(f"a key with id '{key_id}' is already stored")
