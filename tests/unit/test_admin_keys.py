"""KeyAdmin on in-memory stores: validation, the actions, and what the audit log keeps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sluicegate.admin.changes import KEEP
from sluicegate.admin.key_specs import KeyChanges, KeySpec
from sluicegate.admin.keys import KeyAdmin, KeyNotRotatable, key_status
from sluicegate.core.budget import Budget, BudgetPeriod
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import Conflict, InvalidRequest, NotFound
from sluicegate.core.identity import KeyRecord, Limits, Role
from sluicegate.policies.api_keys import hash_key
from sluicegate.stores.audit_memory import MemoryAuditLog
from sluicegate.stores.keys_memory import MemoryKeyStore

ACTOR = "key:0000000000aa"
BUDGET = Budget(50.0, BudgetPeriod.MONTH, alert_at=0.5)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def keys() -> MemoryKeyStore:
    return MemoryKeyStore()


@pytest.fixture
def audit() -> MemoryAuditLog:
    return MemoryAuditLog()


@pytest.fixture
def admin(keys: MemoryKeyStore, audit: MemoryAuditLog, clock: ManualClock) -> KeyAdmin:
    return KeyAdmin(keys, audit, clock)


def now(clock: ManualClock) -> datetime:
    return datetime.fromtimestamp(clock.wall(), UTC)


async def test_create_stores_only_the_hash_and_audits_without_secrets(
    admin: KeyAdmin, keys: MemoryKeyStore, audit: MemoryAuditLog, clock: ManualClock
) -> None:
    spec = KeySpec(
        name="  billing ",
        team="finance",
        role=Role.OPERATOR,
        models=frozenset({"gpt-4o"}),
        tpm=1000,
        max_concurrency=2,
        budget=BUDGET,
        expires_at=now(clock) + timedelta(days=30),
    )
    record, key = await admin.create(spec, ACTOR)
    assert key.startswith(f"sg-{record.key_id}-")
    assert await keys.find_by_hash(hash_key(key)) == record
    assert (record.name, record.team, record.role) == ("billing", "finance", Role.OPERATOR)
    assert record.limits == Limits(tpm=1000, rpm=None, max_concurrency=2)
    assert record.budget == BUDGET
    assert record.created_at == now(clock)

    [entry] = await audit.list()
    assert (entry.actor, entry.action, entry.target) == (ACTOR, "key.create", record.key_id)
    assert entry.details["budget"] == "50USD/month"
    assert entry.details["limits"] == {"tpm": 1000, "rpm": None, "max_concurrency": 2}
    assert key not in json.dumps(dict(entry.details))
    assert hash_key(key) not in json.dumps(dict(entry.details))


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"name": " "}, "name"),
        ({"name": "tab\there"}, "name"),
        ({"team": "x" * 201}, "team"),
        ({"role": "boss"}, "role"),
        ({"models": ["gpt 4o"]}, "models"),
        ({"models": "gpt-4o"}, "models"),
        ({"tpm": 0}, "tpm"),
        ({"rpm": -1}, "rpm"),
        ({"max_concurrency": True}, "max_concurrency"),
        ({"budget": "50USD/month"}, "budget"),
        ({"expires_at": "tomorrow"}, "expires_at"),
    ],
)
def test_a_spec_refuses_bad_fields_by_name(fields: dict[str, object], param: str) -> None:
    given: dict[str, object] = {"name": "n", "team": "t", **fields}
    with pytest.raises(InvalidRequest) as caught:
        KeySpec(**given)  # type: ignore[arg-type]
    assert caught.value.param == param


async def test_an_expiry_in_the_past_is_refused_and_nothing_is_stored(
    admin: KeyAdmin, keys: MemoryKeyStore, audit: MemoryAuditLog, clock: ManualClock
) -> None:
    spec = KeySpec(name="n", team="t", expires_at=now(clock) - timedelta(seconds=1))
    with pytest.raises(InvalidRequest) as caught:
        await admin.create(spec, ACTOR)
    assert caught.value.param == "expires_at"
    assert await keys.list() == []
    assert await audit.list() == []


def test_a_naive_expiry_is_taken_as_utc() -> None:
    spec = KeySpec(name="n", team="t", expires_at=datetime(2030, 1, 2, 3, 4))
    assert spec.expires_at == datetime(2030, 1, 2, 3, 4, tzinfo=UTC)


async def test_get_refuses_unknown_ids_and_pasted_keys(admin: KeyAdmin) -> None:
    record, key = await admin.create(KeySpec(name="n", team="t"), ACTOR)
    assert await admin.get(record.key_id) == record
    for unknown in ("0123456789ab", "not hex at all", ""):
        with pytest.raises(NotFound):
            await admin.get(unknown)
    with pytest.raises(InvalidRequest) as caught:
        await admin.get(key)
    assert key not in caught.value.message


async def test_list_filters_by_team(admin: KeyAdmin) -> None:
    red, _ = await admin.create(KeySpec(name="a", team="red"), ACTOR)
    await admin.create(KeySpec(name="b", team="blue"), ACTOR)
    assert [record.key_id for record in await admin.list("red")] == [red.key_id]
    assert len(await admin.list()) == 2


async def test_update_changes_what_it_names_and_audits_only_that(
    admin: KeyAdmin, audit: MemoryAuditLog
) -> None:
    record, _ = await admin.create(KeySpec(name="n", team="t", tpm=10, rpm=5, budget=BUDGET), ACTOR)
    updated = await admin.update(
        record.key_id, KeyChanges(tpm=None, budget_alert_at=0.9, role=Role.ADMIN), ACTOR
    )
    assert updated.limits == Limits(tpm=None, rpm=5)
    assert updated.budget == Budget(50.0, BudgetPeriod.MONTH, alert_at=0.9)
    assert updated.role is Role.ADMIN
    assert (updated.key_hash, updated.created_at) == (record.key_hash, record.created_at)
    assert await admin.get(record.key_id) == updated
    entry = (await audit.list())[-1]
    assert (entry.action, entry.target) == ("key.update", record.key_id)
    assert entry.details == {
        "role": "admin",
        "limits": {"tpm": None, "rpm": 5, "max_concurrency": None},
        "budget_alert_at": 0.9,
    }

    same = await admin.update(record.key_id, KeyChanges(name="n"), ACTOR)
    assert same == updated
    assert len(await audit.list()) == 2  # a change that changes nothing is not audited


async def test_update_clears_with_none_and_refuses_what_cannot_be(
    admin: KeyAdmin, clock: ManualClock
) -> None:
    record, _ = await admin.create(
        KeySpec(name="n", team="t", models=frozenset({"m"}), expires_at=now(clock) + timedelta(1)),
        ACTOR,
    )
    cleared = await admin.update(
        record.key_id, KeyChanges(models=frozenset(), expires_at=None, budget=None), ACTOR
    )
    assert (cleared.models, cleared.expires_at, cleared.budget) == (frozenset(), None, None)
    with pytest.raises(InvalidRequest) as no_budget:
        await admin.update(record.key_id, KeyChanges(budget_alert_at=0.5), ACTOR)
    assert no_budget.value.param == "budget_alert_at"
    with pytest.raises(InvalidRequest) as removed:
        KeyChanges(budget=None, budget_alert_at=0.5)
    assert removed.value.param == "budget_alert_at"
    with pytest.raises(InvalidRequest) as past:
        await admin.update(record.key_id, KeyChanges(expires_at=now(clock)), ACTOR)
    assert past.value.param == "expires_at"
    with pytest.raises(NotFound):
        await admin.update("0123456789ab", KeyChanges(tpm=5), ACTOR)
    assert KeyChanges(tpm=None, rpm=KEEP).given() == ("tpm",)


async def test_rotate_copies_the_key_and_retires_the_old_after_the_grace(
    admin: KeyAdmin, keys: MemoryKeyStore, audit: MemoryAuditLog, clock: ManualClock
) -> None:
    old, old_key = await admin.create(
        KeySpec(
            name="etl",
            team="data",
            models=frozenset({"gpt-4o"}),
            tpm=9000,
            budget=BUDGET,
            expires_at=now(clock) + timedelta(days=30),
        ),
        ACTOR,
    )
    clock.advance(86400)
    new, new_key = await admin.rotate(old.key_id, ACTOR, grace=timedelta(hours=1))
    assert new_key != old_key
    assert await keys.find_by_hash(hash_key(new_key)) == new
    same = ("name", "team", "role", "models", "limits", "budget")
    assert all(getattr(new, field) == getattr(old, field) for field in same)
    assert new.expires_at == now(clock) + timedelta(days=30)  # the old key's lifetime
    retired = await admin.get(old.key_id)
    assert retired.revoked_at == now(clock) + timedelta(hours=1)
    assert key_status(retired, now(clock)) == "retiring"

    create, rotate = (await audit.list())[-2:]
    assert (create.action, create.target, create.details["rotated_from"]) == (
        "key.create",
        new.key_id,
        old.key_id,
    )
    assert (rotate.action, rotate.target) == ("key.rotate", old.key_id)
    assert rotate.details["replaced_by"] == new.key_id
    assert rotate.details["grace_seconds"] == 3600


async def test_only_working_keys_rotate(admin: KeyAdmin, clock: ManualClock) -> None:
    revoked, _ = await admin.create(KeySpec(name="a", team="t"), ACTOR)
    await admin.revoke(revoked.key_id, ACTOR)
    expiring, _ = await admin.create(
        KeySpec(name="b", team="t", expires_at=now(clock) + timedelta(seconds=5)), ACTOR
    )
    clock.advance(5)
    for key_id, state in ((revoked.key_id, "revoked"), (expiring.key_id, "expired")):
        with pytest.raises(KeyNotRotatable) as caught:
            await admin.rotate(key_id, ACTOR)
        assert isinstance(caught.value, Conflict)
        assert caught.value.status == 409
        assert caught.value.state == state
    with pytest.raises(InvalidRequest) as negative:
        await admin.rotate(revoked.key_id, ACTOR, grace=timedelta(seconds=-1))
    assert negative.value.param == "grace"


async def test_revoke_is_now_and_keeps_an_earlier_time(
    admin: KeyAdmin, audit: MemoryAuditLog, clock: ManualClock
) -> None:
    record, _ = await admin.create(KeySpec(name="n", team="t"), ACTOR)
    revoked = await admin.revoke(record.key_id, ACTOR)
    assert revoked.revoked_at == now(clock)
    assert key_status(revoked, now(clock)) == "revoked"
    clock.advance(10)
    again = await admin.revoke(record.key_id, ACTOR)
    assert again.revoked_at == revoked.revoked_at
    first, second = (await audit.list())[-2:]
    assert (first.action, first.details["already_revoked"]) == ("key.revoke", False)
    assert (second.action, second.details["already_revoked"]) == ("key.revoke", True)


async def test_revoking_a_retiring_key_ends_its_grace_now(
    admin: KeyAdmin, clock: ManualClock
) -> None:
    old, _ = await admin.create(KeySpec(name="n", team="t"), ACTOR)
    await admin.rotate(old.key_id, ACTOR, grace=timedelta(hours=1))
    clock.advance(60)
    revoked = await admin.revoke(old.key_id, ACTOR)
    assert revoked.revoked_at == now(clock)


def test_key_status() -> None:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    hour = timedelta(hours=1)
    record = KeyRecord("k", "h", "n", "t", Role.APP)
    assert key_status(record, at) == "active"
    assert key_status(KeyRecord("k", "h", "n", "t", Role.APP, revoked_at=at + hour), at) == (
        "retiring"
    )
    assert key_status(KeyRecord("k", "h", "n", "t", Role.APP, revoked_at=at), at) == "revoked"
    assert key_status(KeyRecord("k", "h", "n", "t", Role.APP, expires_at=at), at) == "expired"
