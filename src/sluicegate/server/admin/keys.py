"""`/admin/keys`: list, show, create, change, rotate and revoke keys through `KeyAdmin`.

A change to a key (its revocation above all) also drops this replica's cached lookup of it at
once; other replicas re-read it within their key cache's second.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sluicegate.admin.key_specs import KeyChanges, KeySpec
from sluicegate.admin.keys import KeyAdmin
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.identity import KeyRecord, Role
from sluicegate.server.admin.endpoints import Answer, Call, Endpoint
from sluicegate.server.admin.schemas import (
    IssuedKeyView,
    KeyCreate,
    KeyList,
    KeyListQuery,
    KeyRevoke,
    KeyRotate,
    KeyUpdate,
    KeyView,
    RotatedKeyView,
)
from sluicegate.server.admin.views import budget_patch, key_view, optional_budget

TAG = "keys"
Invalidate = Callable[[str], None]
"""Forget this replica's cached lookup of a key hash."""


class KeyEndpoints:
    def __init__(self, admin: KeyAdmin, invalidate: Invalidate | None) -> None:
        self._admin = admin
        self._invalidate = invalidate

    def endpoints(self) -> list[Endpoint]:
        one = "/admin/keys/{key_id}"
        return [
            Endpoint(
                "GET", "/admin/keys", self.list, "List keys, oldest first", "read", TAG,
                KeyList, query=KeyListQuery,
            ),
            Endpoint(
                "POST", "/admin/keys", self.create, "Create a key", "write", TAG,
                IssuedKeyView, body=KeyCreate, status=201,
                description="The answer holds the key itself: the only time it is shown.",
            ),
            Endpoint(
                "GET", one, self.show, "Show a key", "read", TAG, KeyView, refusals=(404,)
            ),
            Endpoint(
                "PATCH", one, self.update, "Change a key's settings", "write", TAG, KeyView,
                body=KeyUpdate, refusals=(404,),
                description="Only the fields sent change; `null` removes a limit, the budget "
                "or the expiry. The key itself stays the same.",
            ),
            Endpoint(
                "POST", f"{one}/rotate", self.rotate, "Replace a key by a new one", "write",
                TAG, RotatedKeyView, body=KeyRotate, status=201, refusals=(404, 409),
                description="The new key has the same name, team, role, models, limits and "
                "budget; the old one keeps working for `grace_seconds`. A revoked or expired "
                "key cannot be rotated (409).",
            ),
            Endpoint(
                "POST", f"{one}/revoke", self.revoke, "Revoke a key now", "write", TAG,
                KeyView, body=KeyRevoke, refusals=(404,),
                description="Every gateway replica refuses the key within 1 s. Revoking a "
                "revoked key changes nothing.",
            ),
        ]  # fmt: skip

    async def list(self, call: Call) -> Answer:
        records = await self._admin.list(call.query_as(KeyListQuery).team)
        now = self._admin.now()
        return Answer(KeyList(data=[key_view(record, now) for record in records]))

    async def show(self, call: Call) -> Answer:
        record = await self._admin.get(call.path("key_id"))
        return Answer(key_view(record, self._admin.now()))

    async def create(self, call: Call) -> Answer:
        body = call.body_as(KeyCreate)
        spec = KeySpec(
            name=body.name,
            team=body.team,
            role=Role(body.role),
            models=frozenset(body.models),
            tpm=body.tpm,
            rpm=body.rpm,
            max_concurrency=body.max_concurrency,
            budget=optional_budget(body.budget, body.budget_alert_at),
            expires_at=body.expires_at,
        )
        record, key = await self._admin.create(spec, call.actor)
        return Answer(IssuedKeyView(key=key, record=key_view(record, self._admin.now())), 201)

    async def update(self, call: Call) -> Answer:
        changes = key_changes(call.body_as(KeyUpdate))
        record = await self._admin.update(call.path("key_id"), changes, call.actor)
        self._forget(record)
        return Answer(key_view(record, self._admin.now()))

    async def rotate(self, call: Call) -> Answer:
        body = call.body_as(KeyRotate)
        old_id = call.path("key_id")
        new, key = await self._admin.rotate(
            old_id,
            call.actor,
            grace=timedelta(seconds=body.grace_seconds),
            expires_at=body.expires_at,
        )
        replaced = await self._admin.get(old_id)
        self._forget(replaced)
        now = self._admin.now()
        view = RotatedKeyView(key=key, record=key_view(new, now), replaced=key_view(replaced, now))
        return Answer(view, 201)

    async def revoke(self, call: Call) -> Answer:
        record = await self._admin.revoke(call.path("key_id"), call.actor)
        self._forget(record)
        return Answer(key_view(record, self._admin.now()))

    def _forget(self, record: KeyRecord) -> None:
        if self._invalidate is not None:
            self._invalidate(record.key_hash)


def key_changes(body: KeyUpdate) -> KeyChanges:
    """The merge patch as KeyChanges: absent fields are kept, `null` removes."""
    given = body.model_fields_set
    changes: dict[str, Any] = {}
    for field in ("name", "team", "role"):
        if field in given:
            value = getattr(body, field)
            if value is None:
                raise InvalidRequest(
                    f"{field} cannot be removed; give a new value or leave it out", param=field
                )
            changes[field] = Role(value) if field == "role" else value
    if "models" in given:
        changes["models"] = frozenset(body.models or ())
    for field in ("tpm", "rpm", "max_concurrency", "expires_at"):
        if field in given:
            changes[field] = getattr(body, field)
    changes.update(budget_patch(given, body.budget, body.budget_alert_at))
    return KeyChanges(**changes)
