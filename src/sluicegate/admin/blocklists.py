"""Managing blocklists: the one implementation behind `sluicegate blocklists …` and the admin
API.

A managed list sits beside the lists in the config (`safety.blocklists`); profiles name either
kind. What a caller asks for arrives as a `BlocklistSpec` (a whole list) or `BlocklistChanges`
(additions and removals), both checked when made. Every change is appended to the audit log with
counts of what changed, never the terms or patterns themselves: a list of what must not be said
is often itself something that must not be shown around.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sluicegate.admin.blocklist_specs import (
    MAX_PATTERNS,
    MAX_TERMS,
    BlocklistChanges,
    BlocklistSpec,
    check_runnable,
    is_name,
    term_key,
)
from sluicegate.admin.changes import Keep
from sluicegate.core.blocklists import BlocklistRecord, BlocklistStore
from sluicegate.core.clock import Clock
from sluicegate.core.errors import Conflict, InvalidRequest, NotFound
from sluicegate.core.ledger import AuditEntry, AuditLog


class BlocklistAdmin:
    """List, show, create, replace, change and delete managed blocklists, auditing every
    change."""

    def __init__(self, blocklists: BlocklistStore, audit: AuditLog, clock: Clock) -> None:
        self._lists = blocklists
        self._audit = audit
        self._clock = clock

    async def list(self) -> list[BlocklistRecord]:
        """Every managed list, ordered by name (lists only in the config are not listed)."""
        return await self._lists.list()

    async def get(self, name: str) -> BlocklistRecord:
        """The managed list; `NotFound` when there is none of that name."""
        record = await self._lists.get(name) if is_name(name) else None
        if record is None:
            raise NotFound(f"no managed blocklist '{_clip(name)}'", param="name")
        return record

    async def create(self, spec: BlocklistSpec, actor: str) -> BlocklistRecord:
        """Store a new list; `Conflict` when a managed list of that name exists."""
        if await self._lists.get(spec.name) is not None:
            raise Conflict(f"blocklist '{spec.name}' already exists", param="name")
        record = self._record(spec)
        await self._lists.put(record)
        await self._record_action(actor, "blocklist.create", spec.name, _sizes(record))
        return record

    async def put(self, spec: BlocklistSpec, actor: str) -> tuple[BlocklistRecord, bool]:
        """Create the list, or replace all of an existing one (its creation time stays); True
        when it was created."""
        previous = await self._lists.get(spec.name)
        created = await self._lists.put(self._record(spec))
        stored = await self.get(spec.name)
        if created:
            await self._record_action(actor, "blocklist.create", spec.name, _sizes(stored))
        else:
            before = previous or BlocklistRecord(spec.name)
            details = {**_difference(before, stored), "replaced": True}
            await self._record_action(actor, "blocklist.update", spec.name, details)
        return stored, created

    async def update(self, name: str, changes: BlocklistChanges, actor: str) -> BlocklistRecord:
        """Add and remove terms and patterns, or change the description; `NotFound` for an
        unknown list. A change that alters nothing stores and audits nothing."""
        current = await self.get(name)
        terms, patterns = _changed_entries(current, changes)
        description = (
            current.description if isinstance(changes.description, Keep) else changes.description
        )
        if (terms, patterns, description) == (
            current.terms,
            current.patterns,
            current.description,
        ):
            return current
        _check_size("add_terms", "terms", len(terms), MAX_TERMS)
        _check_size("add_patterns", "patterns", len(patterns), MAX_PATTERNS)
        check_runnable(
            name, terms, patterns, terms_field="add_terms", patterns_field="add_patterns"
        )
        updated = replace(
            current,
            terms=terms,
            patterns=patterns,
            description=description,
            updated_at=self._now(),
        )
        await self._lists.put(updated)
        await self._record_action(actor, "blocklist.update", name, _difference(current, updated))
        return updated

    async def delete(self, name: str, actor: str) -> None:
        """Delete a managed list; `NotFound` when there is none."""
        record = await self.get(name)
        if not await self._lists.delete(name):
            raise NotFound(f"no managed blocklist '{name}'", param="name")
        await self._record_action(actor, "blocklist.delete", name, _sizes(record))

    def _record(self, spec: BlocklistSpec) -> BlocklistRecord:
        now = self._now()
        return BlocklistRecord(
            name=spec.name,
            terms=spec.terms,
            patterns=spec.patterns,
            description=spec.description,
            created_at=now,
            updated_at=now,
        )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.wall(), UTC)

    async def _record_action(
        self, actor: str, action: str, target: str, details: Mapping[str, object]
    ) -> None:
        await self._audit.append(AuditEntry(self._now(), actor, action, target, dict(details)))


def _clip(name: object) -> str:
    text = str(name)
    return text if len(text) <= 60 else text[:57] + "..."


def _changed_entries(
    current: BlocklistRecord, changes: BlocklistChanges
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The terms and patterns after the change: removals first, then additions at the end
    (what is already there, in any case for a term, is not added twice)."""
    removed = {term_key(term) for term in changes.remove_terms}
    terms = [term for term in current.terms if term_key(term) not in removed]
    held = {term_key(term) for term in terms}
    terms += [term for term in changes.add_terms if term_key(term) not in held]
    gone = set(changes.remove_patterns)
    patterns = [pattern for pattern in current.patterns if pattern not in gone]
    kept = set(patterns)
    patterns += [pattern for pattern in changes.add_patterns if pattern not in kept]
    return tuple(terms), tuple(patterns)


def _check_size(field: str, kind: str, size: int, limit: int) -> None:
    if size > limit:
        raise InvalidRequest(
            f"{field}: the list would hold {size:,} {kind}; a blocklist holds at most {limit:,}",
            param=field,
        )


@dataclass(frozen=True, slots=True)
class _Counts:
    added: int
    removed: int


def _count_terms(before: tuple[str, ...], after: tuple[str, ...]) -> _Counts:
    old, new = {term_key(t) for t in before}, {term_key(t) for t in after}
    return _Counts(len(new - old), len(old - new))


def _count_patterns(before: tuple[str, ...], after: tuple[str, ...]) -> _Counts:
    old, new = set(before), set(after)
    return _Counts(len(new - old), len(old - new))


def _sizes(record: BlocklistRecord) -> dict[str, object]:
    return {"terms": len(record.terms), "patterns": len(record.patterns)}


def _difference(before: BlocklistRecord, after: BlocklistRecord) -> dict[str, object]:
    """What the audit log keeps about a change: how many entries came and went, and whether
    the description changed; never an entry itself."""
    terms = _count_terms(before.terms, after.terms)
    patterns = _count_patterns(before.patterns, after.patterns)
    return {
        **_sizes(after),
        "terms_added": terms.added,
        "terms_removed": terms.removed,
        "patterns_added": patterns.added,
        "patterns_removed": patterns.removed,
        "description_changed": before.description != after.description,
    }
