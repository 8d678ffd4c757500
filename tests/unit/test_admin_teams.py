"""TeamAdmin: validation, partial updates, refusals and the audit trail, on the memory stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from sluicegate.admin.changes import KEEP
from sluicegate.admin.teams import TeamAdmin, TeamChanges, TeamSpec
from sluicegate.core.budget import Budget, BudgetPeriod
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import Conflict, InvalidRequest, NotFound
from sluicegate.core.identity import KeyRecord, Limits, Role, TeamRecord
from sluicegate.core.ledger import AuditEntry
from sluicegate.stores.audit_memory import MemoryAuditLog
from sluicegate.stores.keys_memory import MemoryKeyStore
from sluicegate.stores.teams_memory import MemoryTeamStore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MONTHLY = Budget(50.0, BudgetPeriod.MONTH)


@dataclass
class Admin:
    admin: TeamAdmin
    teams: MemoryTeamStore
    keys: MemoryKeyStore
    audit: MemoryAuditLog
    clock: ManualClock

    async def entries(self) -> list[AuditEntry]:
        return await self.audit.list(limit=1000)


@pytest.fixture
def world() -> Admin:
    teams, keys, audit = MemoryTeamStore(), MemoryKeyStore(), MemoryAuditLog()
    clock = ManualClock(wall_start=T0.timestamp())
    return Admin(TeamAdmin(teams, keys, audit, clock), teams, keys, audit, clock)


def key(key_id: str, team: str, **fields: object) -> KeyRecord:
    return KeyRecord(
        key_id=key_id,
        key_hash=f"hash-{key_id}",
        name=key_id,
        team=team,
        role=Role.APP,
        **fields,  # type: ignore[arg-type]
    )


# --- create, get, list --------------------------------------------------------------------------


async def test_create_stores_the_team_and_audits_it(world: Admin) -> None:
    spec = TeamSpec("search", frozenset({"gpt-4o", "o1"}), tpm=1000, rpm=10, budget=MONTHLY)
    created = await world.admin.create(spec, "admin-key")
    expected = TeamRecord(
        "search", frozenset({"gpt-4o", "o1"}), Limits(tpm=1000, rpm=10), MONTHLY, T0
    )
    assert created == expected
    assert await world.admin.get("search") == expected
    [entry] = await world.entries()
    assert (entry.at, entry.actor, entry.action, entry.target) == (
        T0,
        "admin-key",
        "team.create",
        "search",
    )
    assert entry.details == {
        "models": ["gpt-4o", "o1"],
        "tpm": 1000,
        "rpm": 10,
        "budget": "50USD/month",
        "budget_alert_at": 0.8,
    }


async def test_creating_a_team_that_exists_is_a_conflict(world: Admin) -> None:
    await world.admin.create(TeamSpec("search", tpm=5), "cli")
    with pytest.raises(Conflict, match="team 'search' already exists") as raised:
        await world.admin.create(TeamSpec("search", tpm=9), "cli")
    assert raised.value.status == 409
    assert (await world.admin.get("search")).limits.tpm == 5
    assert [entry.action for entry in await world.entries()] == ["team.create"]


async def test_a_star_in_the_models_means_every_model(world: Admin) -> None:
    created = await world.admin.create(TeamSpec("t", frozenset({"*", "gpt-4o"})), "cli")
    assert created.models == frozenset()


async def test_get_of_an_unknown_or_impossible_name_is_not_found(world: Admin) -> None:
    for name in ("nobody", "no body", "", "x" * 500):
        with pytest.raises(NotFound, match="no managed team") as raised:
            await world.admin.get(name)
        assert raised.value.status == 404
        assert len(raised.value.message) < 100


async def test_list_is_ordered_by_name(world: Admin) -> None:
    for name in ("search", "ads", "Zeta"):
        await world.admin.create(TeamSpec(name), "cli")
    assert [team.name for team in await world.admin.list()] == ["Zeta", "ads", "search"]


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "a b", "a/b", "é", "x" * 129, "tab\t", 7])
def test_bad_names_are_refused_naming_the_field(name: object) -> None:
    with pytest.raises(InvalidRequest, match=r"^name .*a team name is 1 to 128") as raised:
        TeamSpec(name)  # type: ignore[arg-type]
    assert raised.value.param == "name"
    assert raised.value.status == 400


def test_names_of_every_allowed_kind_are_accepted() -> None:
    for name in ("a", "x" * 128, "Team_1.eu:west-2"):
        assert TeamSpec(name).name == name


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"tpm": -1}, "tpm"),
        ({"rpm": -5}, "rpm"),
        ({"tpm": True}, "tpm"),
        ({"rpm": 1.5}, "rpm"),
        ({"tpm": 2**63}, "tpm"),
        ({"models": frozenset({"gpt 4o"})}, "models"),
        ({"models": frozenset({""})}, "models"),
        ({"models": frozenset({"a,b"})}, "models"),
        ({"models": "gpt-4o"}, "models"),
        ({"budget": "50USD/month"}, "budget"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(fields: dict[str, object], param: str) -> None:
    with pytest.raises(InvalidRequest, match=f"^{param}") as raised:
        TeamSpec("t", **fields)  # type: ignore[arg-type]
    assert raised.value.param == param
    with pytest.raises(InvalidRequest, match=f"^{param}"):
        TeamChanges(**fields)  # type: ignore[arg-type]


def test_zero_limits_are_allowed() -> None:
    spec = TeamSpec("t", tpm=0, rpm=0)
    assert (spec.tpm, spec.rpm) == (0, 0)


@pytest.mark.parametrize("alert", [0, -0.1, 1.01, True, "0.5"])
def test_an_alert_threshold_outside_0_to_1_is_refused(alert: object) -> None:
    with pytest.raises(InvalidRequest, match=r"^budget_alert_at") as raised:
        TeamChanges(budget_alert_at=alert)  # type: ignore[arg-type]
    assert raised.value.param == "budget_alert_at"


def test_an_alert_threshold_with_a_removed_budget_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="budget_alert_at needs a budget"):
        TeamChanges(budget=None, budget_alert_at=0.5)


def test_changes_name_the_fields_they_touch() -> None:
    assert TeamChanges().given() == ()
    assert TeamChanges(tpm=None, budget=MONTHLY).given() == ("tpm", "budget")
    assert TeamChanges(models=KEEP, rpm=3).given() == ("rpm",)


# --- update -------------------------------------------------------------------------------------


async def test_update_changes_only_the_fields_given(world: Admin) -> None:
    await world.admin.create(
        TeamSpec("search", frozenset({"gpt-4o"}), tpm=1000, rpm=10, budget=MONTHLY), "cli"
    )
    world.clock.advance(60)
    updated = await world.admin.update("search", TeamChanges(tpm=2000), "admin-key")
    expected = TeamRecord(
        "search", frozenset({"gpt-4o"}), Limits(tpm=2000, rpm=10), MONTHLY, created_at=T0
    )
    assert updated == expected
    assert await world.admin.get("search") == expected
    entry = (await world.entries())[-1]
    assert (entry.action, entry.target, entry.actor) == ("team.update", "search", "admin-key")
    assert entry.at == T0 + timedelta(seconds=60)
    assert entry.details == {"tpm": 2000}


async def test_none_removes_a_limit_or_the_budget_and_an_empty_set_allows_every_model(
    world: Admin,
) -> None:
    await world.admin.create(
        TeamSpec("search", frozenset({"gpt-4o"}), tpm=1000, rpm=10, budget=MONTHLY), "cli"
    )
    changes = TeamChanges(models=frozenset(), tpm=None, budget=None)
    updated = await world.admin.update("search", changes, "cli")
    assert updated == TeamRecord("search", frozenset(), Limits(rpm=10), None, created_at=T0)
    entry = (await world.entries())[-1]
    assert entry.details == {"models": [], "tpm": None, "budget": None, "budget_alert_at": None}


async def test_a_new_budget_and_its_alert_threshold_in_one_change(world: Admin) -> None:
    await world.admin.create(TeamSpec("search"), "cli")
    weekly = Budget(200.0, BudgetPeriod.WEEK)
    changes = TeamChanges(budget=weekly, budget_alert_at=0.5)
    updated = await world.admin.update("search", changes, "cli")
    assert updated.budget == Budget(200.0, BudgetPeriod.WEEK, alert_at=0.5)
    entry = (await world.entries())[-1]
    assert entry.details == {"budget": "200USD/week", "budget_alert_at": 0.5}


async def test_the_alert_threshold_alone_changes_the_current_budget(world: Admin) -> None:
    await world.admin.create(TeamSpec("search", budget=MONTHLY), "cli")
    updated = await world.admin.update("search", TeamChanges(budget_alert_at=0.95), "cli")
    assert updated.budget == Budget(50.0, BudgetPeriod.MONTH, alert_at=0.95)
    assert (await world.entries())[-1].details == {"budget_alert_at": 0.95}


async def test_an_alert_threshold_for_a_team_without_budget_is_refused(world: Admin) -> None:
    await world.admin.create(TeamSpec("search", tpm=5), "cli")
    with pytest.raises(InvalidRequest, match="team 'search' has none") as raised:
        await world.admin.update("search", TeamChanges(budget_alert_at=0.5, tpm=7), "cli")
    assert raised.value.param == "budget_alert_at"
    assert (await world.admin.get("search")).limits.tpm == 5
    assert len(await world.entries()) == 1


async def test_update_keeps_what_the_spec_cannot_say(world: Admin) -> None:
    await world.teams.put(TeamRecord("search", limits=Limits(tpm=1, max_concurrency=4)))
    updated = await world.admin.update("search", TeamChanges(rpm=3), "cli")
    assert updated.limits == Limits(tpm=1, rpm=3, max_concurrency=4)


async def test_an_empty_change_stores_and_audits_nothing(world: Admin) -> None:
    created = await world.admin.create(TeamSpec("search", tpm=5), "cli")
    assert await world.admin.update("search", TeamChanges(), "cli") == created
    assert len(await world.entries()) == 1


async def test_updating_an_unknown_team_is_not_found(world: Admin) -> None:
    with pytest.raises(NotFound, match="no managed team 'ghost'"):
        await world.admin.update("ghost", TeamChanges(tpm=1), "cli")
    assert await world.admin.list() == []
    assert await world.entries() == []


# --- put ----------------------------------------------------------------------------------------


async def test_put_creates_then_replaces_every_field_keeping_the_creation_time(
    world: Admin,
) -> None:
    first, created = await world.admin.put(
        TeamSpec("search", frozenset({"gpt-4o"}), tpm=5, budget=MONTHLY), "cli"
    )
    assert created is True
    assert first.created_at == T0
    world.clock.advance(3600)
    second, created = await world.admin.put(TeamSpec("search", rpm=9), "api")
    assert created is False
    assert second == TeamRecord("search", frozenset(), Limits(rpm=9), None, created_at=T0)
    assert await world.admin.get("search") == second
    create, replace = await world.entries()
    assert (create.action, create.details["tpm"]) == ("team.create", 5)
    assert (replace.action, replace.actor) == ("team.update", "api")
    assert replace.at == T0 + timedelta(hours=1)
    assert replace.details == {
        "models": [],
        "tpm": None,
        "rpm": 9,
        "budget": None,
        "budget_alert_at": None,
        "replaced": True,
    }


# --- delete -------------------------------------------------------------------------------------


async def test_delete_removes_the_team_and_audits_it(world: Admin) -> None:
    await world.admin.create(TeamSpec("search"), "cli")
    await world.admin.delete("search", "admin-key")
    assert await world.admin.list() == []
    entry = (await world.entries())[-1]
    assert (entry.action, entry.target, entry.actor) == ("team.delete", "search", "admin-key")
    assert entry.details == {"active_keys": 0, "force": False}


async def test_deleting_an_unknown_team_is_not_found(world: Admin) -> None:
    with pytest.raises(NotFound, match="no managed team 'ghost'"):
        await world.admin.delete("ghost", "cli", force=True)
    assert await world.entries() == []


async def test_a_team_with_working_keys_is_kept_unless_forced(world: Admin) -> None:
    await world.admin.create(TeamSpec("search"), "cli")
    soon, past = T0 + timedelta(hours=1), T0 - timedelta(hours=1)
    for record in (
        key("active", "search"),
        key("expiring-later", "search", expires_at=soon),
        key("retiring", "search", revoked_at=soon),
        key("revoked", "search", revoked_at=past),
        key("expired", "search", expires_at=past),
        key("other-team", "ads"),
    ):
        await world.keys.add(record)
    assert await world.admin.active_keys("search") == 3

    with pytest.raises(Conflict, match="team 'search' still has 3 active keys") as raised:
        await world.admin.delete("search", "cli")
    assert raised.value.status == 409
    assert await world.admin.get("search") is not None
    assert [entry.action for entry in await world.entries()] == ["team.create"]

    await world.admin.delete("search", "cli", force=True)
    assert await world.admin.list() == []
    assert len(await world.keys.list("search")) == 5
    assert (await world.entries())[-1].details == {"active_keys": 3, "force": True}


async def test_one_active_key_is_named_in_the_singular(world: Admin) -> None:
    await world.admin.create(TeamSpec("search"), "cli")
    await world.keys.add(key("only", "search"))
    with pytest.raises(Conflict, match="still has 1 active key; revoke it first"):
        await world.admin.delete("search", "cli")


async def test_keys_revoked_since_no_longer_block_a_deletion(world: Admin) -> None:
    await world.admin.create(TeamSpec("search"), "cli")
    await world.keys.add(key("retiring", "search", revoked_at=T0 + timedelta(minutes=5)))
    with pytest.raises(Conflict):
        await world.admin.delete("search", "cli")
    world.clock.advance(300)
    await world.admin.delete("search", "cli")
    assert await world.admin.list() == []
