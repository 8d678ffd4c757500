"""`/admin/teams`: list, show, create or replace, change and delete managed teams through
`TeamAdmin`.

A managed team replaces the config's entries for that team as a whole; teams only in the
config are not listed here. A change drops this replica's cached team at once; other replicas
re-read it within a second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sluicegate.admin.teams import TeamAdmin, TeamChanges, TeamSpec
from sluicegate.server.admin.endpoints import Answer, Call, Endpoint
from sluicegate.server.admin.schemas import (
    Deleted,
    TeamDeleteQuery,
    TeamList,
    TeamPatch,
    TeamPut,
    TeamView,
)
from sluicegate.server.admin.views import budget_patch, optional_budget, team_view

TAG = "teams"
Invalidate = Callable[[str], None]
"""Forget this replica's cached record of a team."""


class TeamEndpoints:
    def __init__(self, admin: TeamAdmin, invalidate: Invalidate | None) -> None:
        self._admin = admin
        self._invalidate = invalidate

    def endpoints(self) -> list[Endpoint]:
        one = "/admin/teams/{name}"
        return [
            Endpoint(
                "GET", "/admin/teams", self.list, "List managed teams by name", "read", TAG,
                TeamList,
            ),
            Endpoint(
                "GET", one, self.show, "Show a managed team", "read", TAG, TeamView,
                refusals=(404,),
            ),
            Endpoint(
                "PUT", one, self.put, "Create or replace a team", "write", TAG, TeamView,
                body=TeamPut, other_statuses=(201,),
                description="201 when the team is new, 200 when it replaced one (every "
                "field is set; what is left out is none).",
            ),
            Endpoint(
                "PATCH", one, self.update, "Change a team's settings", "write", TAG, TeamView,
                body=TeamPatch, refusals=(404,),
                description="Only the fields sent change; `null` removes a limit or the "
                "budget.",
            ),
            Endpoint(
                "DELETE", one, self.delete, "Delete a managed team", "write", TAG, Deleted,
                query=TeamDeleteQuery, refusals=(404, 409),
                description="Refused (409) while keys of the team still work, unless "
                "`force=true`; its keys then get the config's entries for the team, if any.",
            ),
        ]  # fmt: skip

    async def list(self, call: Call) -> Answer:
        return Answer(TeamList(data=[team_view(record) for record in await self._admin.list()]))

    async def show(self, call: Call) -> Answer:
        return Answer(team_view(await self._admin.get(call.path("name"))))

    async def put(self, call: Call) -> Answer:
        body = call.body_as(TeamPut)
        spec = TeamSpec(
            name=call.path("name"),
            models=frozenset(body.models),
            tpm=body.tpm,
            rpm=body.rpm,
            budget=optional_budget(body.budget, body.budget_alert_at),
        )
        record, created = await self._admin.put(spec, call.actor)
        self._forget(record.name)
        return Answer(team_view(record), 201 if created else 200)

    async def update(self, call: Call) -> Answer:
        name = call.path("name")
        record = await self._admin.update(name, team_changes(call.body_as(TeamPatch)), call.actor)
        self._forget(record.name)
        return Answer(team_view(record))

    async def delete(self, call: Call) -> Answer:
        name = call.path("name")
        force = call.query_as(TeamDeleteQuery).force
        await self._admin.delete(name, call.actor, force=force)
        self._forget(name)
        return Answer(Deleted(name=name))

    def _forget(self, name: str) -> None:
        if self._invalidate is not None:
            self._invalidate(name)


def team_changes(body: TeamPatch) -> TeamChanges:
    """The merge patch as TeamChanges: absent fields are kept, `null` removes."""
    given = body.model_fields_set
    changes: dict[str, Any] = {}
    if "models" in given:
        changes["models"] = frozenset(body.models or ())
    for field in ("tpm", "rpm"):
        if field in given:
            changes[field] = getattr(body, field)
    changes.update(budget_patch(given, body.budget, body.budget_alert_at))
    return TeamChanges(**changes)
