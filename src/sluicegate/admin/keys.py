"""Managing gateway keys: the one implementation behind `sluicegate keys …` and `/admin/keys`.

What a caller asks for arrives as a `KeySpec` or `KeyChanges` (`admin.key_specs`), already
checked; what depends on the stored key or the time (an unknown id, an expiry in the past, a
dead key to rotate) is refused here, also naming the field. A key is returned once, when it is made;
only its hash is stored. Every change is appended to the audit log, which never holds a key or
its hash.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Literal, NamedTuple

from sluicegate.admin.changes import Keep
from sluicegate.admin.key_specs import (
    KeyChanges,
    KeySpec,
    check_expiry,
    check_key_id,
)
from sluicegate.core.clock import Clock
from sluicegate.core.errors import Conflict, InvalidRequest, NotFound
from sluicegate.core.identity import KeyRecord, KeyStore, Limits
from sluicegate.core.ledger import AuditEntry, AuditLog
from sluicegate.policies.api_keys import generate_key, hash_key

_KEY_ID = re.compile(r"^[0-9a-f]{1,64}$")

KeyState = Literal["active", "retiring", "expired", "revoked"]
"""Revoked and expired keys no longer work; a retiring key works until its revocation time."""


class IssuedKey(NamedTuple):
    """A key just made: its record and the key itself, which is shown this once only."""

    record: KeyRecord
    key: str


class KeyNotRotatable(Conflict):
    """Only a working key can be rotated: a revoked or expired one stays dead."""

    def __init__(self, key_id: str, state: str) -> None:
        super().__init__(
            f"key {key_id} is {state}, and a {state} key cannot be rotated; create a new key",
            param="key_id",
        )
        self.key_id = key_id
        self.state = state


# --- the actions ---------------------------------------------------------------------------------


def key_status(record: KeyRecord, now: datetime) -> KeyState:
    """active, expired, revoked, or retiring (revoked at a time still to come)."""
    if record.revoked_at is not None and record.revoked_at <= now:
        return "revoked"
    if record.expires_at is not None and record.expires_at <= now:
        return "expired"
    return "retiring" if record.revoked_at is not None else "active"


class KeyAdmin:
    """Create, list, show, change, rotate and revoke keys, auditing every change.

    `actor` names who asks: `cli` from the command line, the caller's subject from the API.
    """

    def __init__(self, keys: KeyStore, audit: AuditLog, clock: Clock) -> None:
        self._keys = keys
        self._audit = audit
        self._clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.wall(), UTC)

    async def list(self, team: str | None = None) -> list[KeyRecord]:
        """Every key (of one team), oldest first."""
        return await self._keys.list(team)

    async def get(self, key_id: str) -> KeyRecord:
        """The key; `NotFound` for an unknown id."""
        key_id = check_key_id(key_id)
        record = await self._keys.get(key_id) if _KEY_ID.match(key_id) else None
        if record is None:
            raise NotFound(f"no key with id '{_clip(key_id)}'", param="key_id")
        return record

    async def create(self, spec: KeySpec, actor: str) -> IssuedKey:
        """Make a key; the returned key is the only copy there will ever be."""
        now = self.now()
        expires_at = _future("expires_at", spec.expires_at, now)
        key, key_id = generate_key()
        record = KeyRecord(
            key_id=key_id,
            key_hash=hash_key(key),
            name=spec.name,
            team=spec.team,
            role=spec.role,
            models=spec.models,
            limits=Limits(spec.tpm, spec.rpm, spec.max_concurrency),
            created_at=now,
            expires_at=expires_at,
            budget=spec.budget,
        )
        await self._keys.add(record)
        await self._record(now, actor, "key.create", key_id, key_details(record))
        return IssuedKey(record, key)

    async def update(self, key_id: str, changes: KeyChanges, actor: str) -> KeyRecord:
        """Change the given fields and keep the others; the key itself stays the same.

        A change that alters nothing stores and audits nothing."""
        current = await self.get(key_id)
        now = self.now()
        updated = _changed(current, changes, now)
        if updated == current:
            return current
        if not await self._keys.update(updated):
            raise NotFound(f"no key with id '{current.key_id}'", param="key_id")
        before, after = key_details(current), key_details(updated)
        touched = {name: value for name, value in after.items() if before[name] != value}
        await self._record(now, actor, "key.update", current.key_id, touched)
        return updated

    async def rotate(
        self,
        key_id: str,
        actor: str,
        *,
        grace: timedelta = timedelta(0),
        expires_at: datetime | None = None,
    ) -> IssuedKey:
        """Replace a key by a new one with the same name, team, role, models, limits and
        budget. The old key keeps working for `grace`, then is revoked; the new one expires
        at `expires_at`, else after the old key's lifetime (never when it had none)."""
        now = self.now()
        if grace < timedelta(0):
            raise InvalidRequest("the grace period must not be negative", param="grace")
        until = _later(now, grace, "grace")
        new_expiry = _future("expires_at", check_expiry(expires_at), now)
        old = await self.get(key_id)
        state = key_status(old, now)
        if state in ("revoked", "expired"):
            raise KeyNotRotatable(old.key_id, state)
        key, new_id = generate_key()
        new = replace(
            old,
            key_id=new_id,
            key_hash=hash_key(key),
            created_at=now,
            expires_at=new_expiry or _same_lifetime(old, now),
            revoked_at=None,
        )
        await self._keys.add(new)
        await self._keys.revoke(old.key_id, until)
        retired = await self.get(old.key_id)
        revoked_at = retired.revoked_at or until
        await self._record(
            now, actor, "key.create", new_id, {**key_details(new), "rotated_from": old.key_id}
        )
        await self._record(
            now,
            actor,
            "key.rotate",
            old.key_id,
            {
                "replaced_by": new_id,
                "revoked_at": _iso(revoked_at),
                "grace_seconds": grace.total_seconds(),
            },
        )
        return IssuedKey(new, key)

    async def revoke(self, key_id: str, actor: str) -> KeyRecord:
        """Revoke a key now (a key revoked earlier keeps its time); the record afterwards.

        Running gateways stop accepting it within the lifetime of their key cache (1 s)."""
        now = self.now()
        current = await self.get(key_id)
        already = current.revoked_at is not None and current.revoked_at <= now
        await self._keys.revoke(current.key_id, now)
        record = await self.get(current.key_id)
        revoked_at = record.revoked_at or now
        await self._record(
            now,
            actor,
            "key.revoke",
            record.key_id,
            {"revoked_at": _iso(revoked_at), "already_revoked": already},
        )
        return record

    async def _record(
        self, at: datetime, actor: str, action: str, target: str, details: dict[str, object]
    ) -> None:
        await self._audit.append(AuditEntry(at, actor, action, target, details))


def key_details(record: KeyRecord) -> dict[str, object]:
    """What the audit log keeps about a key: JSON values, never its hash."""
    limits, budget = record.limits, record.budget
    return {
        "name": record.name,
        "team": record.team,
        "role": str(record.role),
        "models": sorted(record.models),
        "limits": {
            "tpm": limits.tpm,
            "rpm": limits.rpm,
            "max_concurrency": limits.max_concurrency,
        },
        "budget": None if budget is None else budget.describe(),
        "budget_alert_at": None if budget is None else budget.alert_at,
        "expires_at": _iso(record.expires_at),
    }


def _changed(current: KeyRecord, changes: KeyChanges, now: datetime) -> KeyRecord:
    limits = current.limits
    if not isinstance(changes.tpm, Keep):
        limits = replace(limits, tpm=changes.tpm)
    if not isinstance(changes.rpm, Keep):
        limits = replace(limits, rpm=changes.rpm)
    if not isinstance(changes.max_concurrency, Keep):
        limits = replace(limits, max_concurrency=changes.max_concurrency)
    budget = current.budget if isinstance(changes.budget, Keep) else changes.budget
    if not isinstance(changes.budget_alert_at, Keep):
        if budget is None:
            raise InvalidRequest(
                f"budget_alert_at needs a budget, and key {current.key_id} has none: "
                "give one with the same change",
                param="budget_alert_at",
            )
        budget = replace(budget, alert_at=changes.budget_alert_at)
    expires_at = current.expires_at
    if not isinstance(changes.expires_at, Keep):
        expires_at = _future("expires_at", changes.expires_at, now)
    return replace(
        current,
        name=current.name if isinstance(changes.name, Keep) else changes.name,
        team=current.team if isinstance(changes.team, Keep) else changes.team,
        role=current.role if isinstance(changes.role, Keep) else changes.role,
        models=current.models if isinstance(changes.models, Keep) else changes.models,
        limits=limits,
        budget=budget,
        expires_at=expires_at,
    )


def _future(field: str, moment: datetime | None, now: datetime) -> datetime | None:
    if moment is not None and moment <= now:
        raise InvalidRequest(
            f"{field} {_iso(moment)} is not in the future (it is {_iso(now)} now)", param=field
        )
    return moment


def _later(now: datetime, delta: timedelta, field: str) -> datetime:
    try:
        return now + delta
    except OverflowError:
        raise InvalidRequest(f"{field} is longer than a date can express", param=field) from None


def _same_lifetime(old: KeyRecord, now: datetime) -> datetime | None:
    if old.expires_at is None:
        return None
    if old.created_at is None:
        return old.expires_at
    return _later(now, old.expires_at - old.created_at, "expires_at")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
