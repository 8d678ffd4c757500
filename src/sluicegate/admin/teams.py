"""Managing teams: the one implementation behind `sluicegate teams …` and the admin API.

A managed team replaces the config's entries for that team (`auth.teams.<name>` and
`quotas.teams.<name>`) as a whole; a team only in the config keeps working. What a caller asks
for arrives as a `TeamSpec` (a whole team) or `TeamChanges` (some fields of one); both check
their fields when they are made, so bad input is refused before anything is read or written,
with an `InvalidRequest` that names the field. Every change is appended to the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime

from sluicegate.admin.changes import KEEP, MAX_LIMIT, Keep
from sluicegate.config.auth import ALL_MODELS
from sluicegate.core.budget import Budget
from sluicegate.core.clock import Clock
from sluicegate.core.errors import Conflict, InvalidRequest, NotFound
from sluicegate.core.identity import KeyRecord, KeyStore, Limits, TeamRecord, TeamStore
from sluicegate.core.ledger import AuditEntry, AuditLog

MAX_NAME_LENGTH = 128
_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")
_MODEL = re.compile(r"^[^\s,]+$")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_name(name: object) -> str:
    """A team name: 1 to 128 letters, digits, `_`, `.`, `:` or `-`."""
    if not isinstance(name, str) or not _is_name(name):
        raise InvalidRequest(
            f"name {_shown(name)}: a team name is 1 to {MAX_NAME_LENGTH} letters, digits, "
            "'_', '.', ':' or '-'",
            param="name",
        )
    return name


def _check_models(models: object) -> frozenset[str]:
    if isinstance(models, str | bytes) or not isinstance(models, Iterable):
        raise InvalidRequest(
            "models must be a list of model names (empty: every model)", param="models"
        )
    names = frozenset(models)
    for model in names:
        if not isinstance(model, str) or not _MODEL.match(model):
            raise InvalidRequest(
                f"models: {_shown(model)} is not a model name (no spaces or commas)",
                param="models",
            )
    return frozenset() if ALL_MODELS in names else names


def _check_limit(field: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LIMIT:
        raise InvalidRequest(
            f"{field} must be a whole number from 0 to {MAX_LIMIT} (or none for no limit), "
            f"not {_shown(value)}",
            param=field,
        )
    return value


def _check_budget(budget: object) -> Budget | None:
    if budget is None:
        return None
    if not isinstance(budget, Budget):
        raise InvalidRequest(
            f"budget must be a finite amount in USD per day, week or month, not {_shown(budget)}",
            param="budget",
        )
    return budget


def _check_alert_at(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise InvalidRequest(
            f"budget_alert_at is the share of the budget spent when an alert is raised, "
            f"above 0 and at most 1 (0.8 = 80 %), not {_shown(value)}",
            param="budget_alert_at",
        )
    return float(value)


@dataclass(frozen=True, slots=True)
class TeamSpec:
    """A whole team as a caller asks for it; checked when made (`InvalidRequest`).

    An empty `models` (or one holding `*`) allows every model; None for a limit or the budget
    means none."""

    name: str
    models: frozenset[str] = frozenset()
    tpm: int | None = None
    rpm: int | None = None
    budget: Budget | None = None

    def __post_init__(self) -> None:
        check_name(self.name)
        object.__setattr__(self, "models", _check_models(self.models))
        _check_limit("tpm", self.tpm)
        _check_limit("rpm", self.rpm)
        _check_budget(self.budget)


@dataclass(frozen=True, slots=True)
class TeamChanges:
    """Some fields of a team to change; checked when made (`InvalidRequest`).

    Every field defaults to `KEEP`, which leaves that setting as it is. To remove a setting,
    give the value that means "none": `tpm=None`, `rpm=None` or `budget=None` remove the limit
    or the budget, and `models=frozenset()` allows every model again. `budget_alert_at` changes
    only the alert threshold of the budget the team ends up with (its current one, or the
    `budget` given here); asking for it with no budget is refused. This maps one to one onto a
    JSON merge patch: an absent member is `KEEP`, `null` removes.
    """

    models: frozenset[str] | Keep = KEEP
    tpm: int | Keep | None = KEEP
    rpm: int | Keep | None = KEEP
    budget: Budget | Keep | None = KEEP
    budget_alert_at: float | Keep = KEEP

    def __post_init__(self) -> None:
        if self.models is not KEEP:
            object.__setattr__(self, "models", _check_models(self.models))
        if self.tpm is not KEEP:
            _check_limit("tpm", self.tpm)
        if self.rpm is not KEEP:
            _check_limit("rpm", self.rpm)
        if self.budget is not KEEP:
            _check_budget(self.budget)
        if self.budget_alert_at is not KEEP:
            object.__setattr__(self, "budget_alert_at", _check_alert_at(self.budget_alert_at))
            if self.budget is None:
                raise InvalidRequest(
                    "budget_alert_at needs a budget, and this change removes it",
                    param="budget_alert_at",
                )

    def given(self) -> tuple[str, ...]:
        """The names of the fields this change touches, in declaration order."""
        return tuple(f.name for f in fields(self) if getattr(self, f.name) is not KEEP)


class TeamAdmin:
    """List, show, create, change and delete managed teams, auditing every change."""

    def __init__(self, teams: TeamStore, keys: KeyStore, audit: AuditLog, clock: Clock) -> None:
        self._teams = teams
        self._keys = keys
        self._audit = audit
        self._clock = clock

    async def list(self) -> list[TeamRecord]:
        """Every managed team, ordered by name (teams only in the config are not listed)."""
        return await self._teams.list()

    async def get(self, name: str) -> TeamRecord:
        """The managed team; `NotFound` when there is none of that name."""
        record = await self._teams.get(name) if _is_name(name) else None
        if record is None:
            raise NotFound(f"no managed team '{_clip(name)}'", param="name")
        return record

    async def create(self, spec: TeamSpec, actor: str) -> TeamRecord:
        """Store a new team; `Conflict` when a managed team of that name exists."""
        if await self._teams.get(spec.name) is not None:
            raise Conflict(f"team '{spec.name}' already exists", param="name")
        record = _record(spec, created_at=self._now())
        await self._teams.put(record)
        await self._record_action(actor, "team.create", record.name, _details(record))
        return record

    async def update(self, name: str, changes: TeamChanges, actor: str) -> TeamRecord:
        """Change the given fields and keep the others; `NotFound` for an unknown team.

        A change that touches no field stores and audits nothing."""
        current = await self.get(name)
        given = changes.given()
        if not given:
            return current
        updated = _changed(current, changes)
        await self._teams.put(updated)
        everything = _details(updated)
        touched = {field: everything[field] for field in given}
        if "budget" in given:
            touched["budget_alert_at"] = everything["budget_alert_at"]
        await self._record_action(actor, "team.update", name, touched)
        return updated

    async def put(self, spec: TeamSpec, actor: str) -> tuple[TeamRecord, bool]:
        """Create the team, or replace every field of an existing one (its creation time
        stays); True when it was created."""
        created = await self._teams.put(_record(spec, created_at=self._now()))
        stored = await self.get(spec.name)
        details = _details(stored)
        if not created:
            details["replaced"] = True
        await self._record_action(
            actor, "team.create" if created else "team.update", spec.name, details
        )
        return stored, created

    async def delete(self, name: str, actor: str, *, force: bool = False) -> None:
        """Delete a managed team; `NotFound` when there is none.

        A team whose keys still work is kept (`Conflict`, naming how many) unless `force`:
        deleting it would let those keys fall back to the config's entries for the team, or
        to no team restrictions at all."""
        await self.get(name)
        active = await self.active_keys(name)
        if active and not force:
            raise Conflict(
                f"team '{name}' still has {_count(active, 'active key')}; revoke "
                f"{'it' if active == 1 else 'them'} first, or force the deletion (the keys "
                "then get the config's entries for the team, if any)",
                param="name",
            )
        if not await self._teams.delete(name):
            raise NotFound(f"no managed team '{name}'", param="name")
        await self._record_action(
            actor, "team.delete", name, {"active_keys": active, "force": force}
        )

    async def active_keys(self, name: str) -> int:
        """How many keys of the team still work: not revoked (a revocation still to come
        does not count yet) and not expired."""
        now = self._now()
        return sum(1 for key in await self._keys.list(name) if _works(key, now))

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.wall(), UTC)

    async def _record_action(
        self, actor: str, action: str, target: str, details: Mapping[str, object]
    ) -> None:
        await self._audit.append(AuditEntry(self._now(), actor, action, target, dict(details)))


def _is_name(name: object) -> bool:
    return isinstance(name, str) and 1 <= len(name) <= MAX_NAME_LENGTH and bool(_NAME.match(name))


def _clip(name: object) -> str:
    text = str(name)
    return text if len(text) <= 60 else text[:57] + "..."


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def _works(key: KeyRecord, now: datetime) -> bool:
    revoked = key.revoked_at is not None and key.revoked_at <= now
    expired = key.expires_at is not None and key.expires_at <= now
    return not revoked and not expired


def _record(spec: TeamSpec, *, created_at: datetime) -> TeamRecord:
    return TeamRecord(
        name=spec.name,
        models=spec.models,
        limits=Limits(tpm=spec.tpm, rpm=spec.rpm),
        budget=spec.budget,
        created_at=created_at,
    )


def _changed(current: TeamRecord, changes: TeamChanges) -> TeamRecord:
    limits = current.limits
    if not isinstance(changes.tpm, Keep):
        limits = replace(limits, tpm=changes.tpm)
    if not isinstance(changes.rpm, Keep):
        limits = replace(limits, rpm=changes.rpm)
    budget = current.budget if isinstance(changes.budget, Keep) else changes.budget
    if not isinstance(changes.budget_alert_at, Keep):
        if budget is None:
            raise InvalidRequest(
                f"budget_alert_at needs a budget, and team '{current.name}' has none: "
                "give one with the same change",
                param="budget_alert_at",
            )
        budget = replace(budget, alert_at=changes.budget_alert_at)
    models = current.models if isinstance(changes.models, Keep) else changes.models
    return replace(current, models=models, limits=limits, budget=budget)


def _details(record: TeamRecord) -> dict[str, object]:
    """What the audit log keeps about a team: JSON values, the budget as `50USD/month`."""
    budget = record.budget
    return {
        "models": sorted(record.models),
        "tpm": record.limits.tpm,
        "rpm": record.limits.rpm,
        "budget": None if budget is None else budget.describe(),
        "budget_alert_at": None if budget is None else budget.alert_at,
    }
