"""Managed teams held in process: for tests and for a gateway that needs no database.

Implements `core.identity.TeamStore` as `stores.sql.teams.SqlTeamStore` does. Nothing here
awaits between reading and writing its dictionary, so on one event loop every operation is
atomic without a lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC

from sluicegate.core.identity import TeamRecord


class MemoryTeamStore:
    """Teams by name."""

    __slots__ = ("_teams",)

    def __init__(self, records: Iterable[TeamRecord] = ()) -> None:
        self._teams: dict[str, TeamRecord] = {}
        for record in records:
            self._put(record)

    async def get(self, name: str) -> TeamRecord | None:
        return self._teams.get(name)

    async def put(self, record: TeamRecord) -> bool:
        return self._put(record)

    def _put(self, record: TeamRecord) -> bool:
        """Create or replace the team; True when it was new. A replaced team keeps the
        creation time it was stored with (the new record's is used only if none was). Times
        are kept in UTC, as the SQL store gives them back."""
        created_at = record.created_at
        if created_at is not None:
            if created_at.utcoffset() is None:
                raise ValueError(
                    "created_at must be timezone-aware (for example datetime.now(UTC))"
                )
            created_at = created_at.astimezone(UTC)
        stored = self._teams.get(record.name)
        if stored is not None and stored.created_at is not None:
            created_at = stored.created_at
        record = replace(record, created_at=created_at)
        self._teams[record.name] = record
        return stored is None

    async def delete(self, name: str) -> bool:
        return self._teams.pop(name, None) is not None

    async def list(self) -> list[TeamRecord]:
        """Every team, ordered by name (by code point)."""
        return [self._teams[name] for name in sorted(self._teams)]

    def __repr__(self) -> str:
        return f"MemoryTeamStore(teams={len(self._teams)})"
