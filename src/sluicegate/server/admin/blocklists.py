"""`/admin/blocklists`: list, show, create or replace, change and delete managed blocklists
through `BlocklistAdmin`.

Lists only in the config (`safety.blocklists`) are not listed here. After a change this replica
is told at once (`changed`), and answers only once it has taken the change in; other replicas
pick it up on their periodic reload. The listing shows counts, not entries: lists may be long,
and what they hold is often sensitive.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sluicegate.admin.blocklist_specs import BlocklistChanges, BlocklistSpec
from sluicegate.admin.blocklists import BlocklistAdmin
from sluicegate.server.admin.endpoints import Answer, Call, Endpoint
from sluicegate.server.admin.schemas import (
    BlocklistList,
    BlocklistPatch,
    BlocklistPut,
    BlocklistView,
    Deleted,
)
from sluicegate.server.admin.views import blocklist_summary, blocklist_view

log = logging.getLogger("sluicegate.admin")

TAG = "blocklists"
BlocklistsChanged = Callable[[str], Awaitable[None] | None]
"""Tell this replica's safety policy that the named list changed (or is gone), so that it
reloads its lists now; awaited when it returns an awaitable."""


class BlocklistEndpoints:
    def __init__(self, admin: BlocklistAdmin, changed: BlocklistsChanged | None) -> None:
        self._admin = admin
        self._changed = changed

    def endpoints(self) -> list[Endpoint]:
        one = "/admin/blocklists/{name}"
        return [
            Endpoint(
                "GET", "/admin/blocklists", self.list, "List managed blocklists by name",
                "read", TAG, BlocklistList,
                description="Each list's name, description, counts and times; `GET "
                "/admin/blocklists/{name}` shows its terms and patterns.",
            ),
            Endpoint(
                "GET", one, self.show, "Show a managed blocklist with its entries", "read",
                TAG, BlocklistView, refusals=(404,),
            ),
            Endpoint(
                "PUT", one, self.put, "Create or replace a blocklist", "write", TAG,
                BlocklistView, body=BlocklistPut, other_statuses=(201,),
                description="201 when the list is new, 200 when it replaced one (what is "
                "left out is empty). A pattern the gateway cannot run is refused (400).",
            ),
            Endpoint(
                "PATCH", one, self.update, "Add or remove a blocklist's entries", "write",
                TAG, BlocklistView, body=BlocklistPatch, refusals=(404,),
                description="`add_terms`, `remove_terms`, `add_patterns`, `remove_patterns` "
                "and `description`; what is left out stays as it is.",
            ),
            Endpoint(
                "DELETE", one, self.delete, "Delete a managed blocklist", "write", TAG,
                Deleted, refusals=(404,),
                description="Profiles that name the list then match nothing for it.",
            ),
        ]  # fmt: skip

    async def list(self, call: Call) -> Answer:
        records = await self._admin.list()
        return Answer(BlocklistList(data=[blocklist_summary(record) for record in records]))

    async def show(self, call: Call) -> Answer:
        return Answer(blocklist_view(await self._admin.get(call.path("name"))))

    async def put(self, call: Call) -> Answer:
        body = call.body_as(BlocklistPut)
        spec = BlocklistSpec(
            name=call.path("name"),
            terms=tuple(body.terms),
            patterns=tuple(body.patterns),
            description=body.description,
        )
        record, created = await self._admin.put(spec, call.actor)
        await self._tell(record.name)
        return Answer(blocklist_view(record), 201 if created else 200)

    async def update(self, call: Call) -> Answer:
        name = call.path("name")
        changes = blocklist_changes(call.body_as(BlocklistPatch))
        record = await self._admin.update(name, changes, call.actor)
        await self._tell(record.name)
        return Answer(blocklist_view(record))

    async def delete(self, call: Call) -> Answer:
        name = call.path("name")
        await self._admin.delete(name, call.actor)
        await self._tell(name)
        return Answer(Deleted(name=name))

    async def _tell(self, name: str) -> None:
        """The change is stored whatever happens here: a replica that fails to reload now
        still takes it in on its next periodic reload, so the caller is not told of a
        failure."""
        if self._changed is None:
            return
        try:
            result = self._changed(name)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.warning(
                "blocklist '%s' changed, but reloading it now failed; the periodic reload "
                "will take it in",
                name,
                exc_info=True,
            )


def blocklist_changes(body: BlocklistPatch) -> BlocklistChanges:
    """The patch as BlocklistChanges: absent or null lists add or remove nothing, an absent
    description is kept and a null one cleared."""
    changes: dict[str, Any] = {
        field: tuple(getattr(body, field) or ())
        for field in ("add_terms", "remove_terms", "add_patterns", "remove_patterns")
    }
    if "description" in body.model_fields_set:
        changes["description"] = body.description or ""
    return BlocklistChanges(**changes)
