"""BlocklistAdmin: validation, additions and removals, refusals and the audit trail, on the
memory stores."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from sluicegate.admin.blocklist_specs import (
    MAX_DESCRIPTION_LENGTH,
    MAX_PATTERN_LENGTH,
    MAX_PATTERNS,
    MAX_TERM_LENGTH,
    MAX_TERMS,
    BlocklistChanges,
    BlocklistSpec,
)
from sluicegate.admin.blocklists import BlocklistAdmin
from sluicegate.admin.changes import KEEP
from sluicegate.core.blocklists import BlocklistRecord
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import Conflict, InvalidRequest, NotFound
from sluicegate.core.ledger import AuditEntry
from sluicegate.stores.audit_memory import MemoryAuditLog
from sluicegate.stores.blocklists_memory import MemoryBlocklistStore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SECRET = "Project Nightjar"
"""A term the audit log must never hold."""


@dataclass
class Admin:
    admin: BlocklistAdmin
    lists: MemoryBlocklistStore
    audit: MemoryAuditLog
    clock: ManualClock

    async def entries(self) -> list[AuditEntry]:
        return await self.audit.list(limit=1000)


@pytest.fixture
def world() -> Admin:
    clock = ManualClock(wall_start=T0.timestamp())
    lists, audit = MemoryBlocklistStore(clock=clock), MemoryAuditLog()
    return Admin(BlocklistAdmin(lists, audit, clock), lists, audit, clock)


def spec(name: str = "competitors", **fields: object) -> BlocklistSpec:
    return BlocklistSpec(name, **fields)  # type: ignore[arg-type]


async def filled(world: Admin) -> BlocklistRecord:
    return await world.admin.create(
        spec(terms=("ContosoAI", SECRET), patterns=(r"\bfalcon\d+\b",), description="rivals"),
        "cli",
    )


# --- create, get, list ------------------------------------------------------------------------


async def test_create_stores_the_list_and_audits_counts_only(world: Admin) -> None:
    created = await filled(world)
    expected = BlocklistRecord(
        "competitors", ("ContosoAI", SECRET), (r"\bfalcon\d+\b",), "rivals", T0, T0
    )
    assert created == expected
    assert await world.admin.get("competitors") == expected
    [entry] = await world.entries()
    assert (entry.at, entry.actor, entry.action, entry.target) == (
        T0,
        "cli",
        "blocklist.create",
        "competitors",
    )
    assert entry.details == {"terms": 2, "patterns": 1}


async def test_creating_a_list_that_exists_is_a_conflict(world: Admin) -> None:
    await world.admin.create(spec(terms=("a",)), "cli")
    with pytest.raises(Conflict, match="blocklist 'competitors' already exists") as raised:
        await world.admin.create(spec(terms=("b",)), "cli")
    assert raised.value.status == 409
    assert (await world.admin.get("competitors")).terms == ("a",)
    assert [entry.action for entry in await world.entries()] == ["blocklist.create"]


async def test_get_of_an_unknown_or_impossible_name_is_not_found(world: Admin) -> None:
    for name in ("nobody", "no body", "", "x" * 500):
        with pytest.raises(NotFound, match="no managed blocklist") as raised:
            await world.admin.get(name)
        assert raised.value.status == 404
        assert len(raised.value.message) < 100


async def test_list_is_ordered_by_name(world: Admin) -> None:
    for name in ("slurs", "ads", "Zeta"):
        await world.admin.create(spec(name), "cli")
    assert [record.name for record in await world.admin.list()] == ["Zeta", "ads", "slurs"]


# --- what a list may hold ---------------------------------------------------------------------


def test_terms_are_trimmed_and_kept_once_as_the_matcher_compares_them() -> None:
    made = spec(terms=("  ContosoAI ", "contosoai", "Fabrikam  GPT", "CONTOSOAI", "fabrikam gpt"))
    assert made.terms == ("ContosoAI", "Fabrikam  GPT")
    folded = spec(terms=("Straße", "STRASSE", "ＢＡＤ", "bad", "b\u200bad"))
    assert folded.terms == ("Straße", "ＢＡＤ")


def test_patterns_are_kept_as_written_and_once() -> None:
    made = spec(patterns=(r" \bx\b", r" \bx\b", r"(?i)y"))
    assert made.patterns == (r" \bx\b", r"(?i)y")


def test_description_is_trimmed() -> None:
    assert spec(description="  rivals  ").description == "rivals"


@pytest.mark.parametrize("name", ["", "a b", "a/b", "a:b", "é", "x" * 65, "tab\t", 7])
def test_bad_names_are_refused_naming_the_field(name: object) -> None:
    with pytest.raises(InvalidRequest, match=r"^name .*a blocklist name is 1 to 64") as raised:
        BlocklistSpec(name)  # type: ignore[arg-type]
    assert raised.value.param == "name"
    assert raised.value.status == 400


def test_names_of_every_allowed_kind_are_accepted() -> None:
    for name in ("a", "x" * 64, "List_1.eu-west-2"):
        assert BlocklistSpec(name).name == name


@pytest.mark.parametrize(
    ("fields", "param", "says"),
    [
        ({"patterns": ("(unclosed",)}, "patterns", ""),
        ({"patterns": ("ok", "[z-a]")}, "patterns", ""),
        ({"patterns": ("",)}, "patterns", "must not be empty"),
        ({"patterns": ("x" * (MAX_PATTERN_LENGTH + 1),)}, "patterns", "at most 1,000 characters"),
        ({"patterns": ("a\x00b",)}, "patterns", "control character"),
        ({"patterns": "abc"}, "patterns", "must be a list of strings"),
        ({"patterns": (3,)}, "patterns", "is not a string"),
        ({"terms": ("  ",)}, "terms", "must not be empty"),
        ({"terms": ("x" * (MAX_TERM_LENGTH + 1),)}, "terms", "at most 200 characters"),
        ({"terms": ("two\nlines",)}, "terms", "control character"),
        ({"terms": ("\ud800",)}, "terms", "control character"),
        ({"terms": ("t",) * (MAX_TERMS + 1)}, "terms", "at most 10,000"),
        ({"patterns": ("p",) * (MAX_PATTERNS + 1)}, "patterns", "at most 1,000"),
        ({"description": "x" * (MAX_DESCRIPTION_LENGTH + 1)}, "description", "at most 500"),
        ({"description": "two\nlines"}, "description", "one line"),
    ],
)
def test_bad_content_is_refused_naming_the_field(
    fields: dict[str, object], param: str, says: str
) -> None:
    with pytest.raises(InvalidRequest, match=f"^{param}") as raised:
        spec(**fields)
    assert raised.value.param == param
    assert says in raised.value.message
    assert len(raised.value.message) < 300


def test_a_bad_pattern_is_refused_with_the_matchers_reason() -> None:
    with pytest.raises(InvalidRequest) as raised:
        spec(terms=("fine",), patterns=(r"\bok\b", "(unclosed"))
    assert raised.value.param == "patterns"
    assert "(unclosed" in raised.value.message


@pytest.mark.parametrize(
    ("fields", "param", "says"),
    [
        ({"patterns": ("(a+)+$",)}, "patterns", "exponential time"),
        ({"patterns": ("x*",)}, "patterns", "matches the empty string"),
        ({"terms": ("\ufdfa" * 12,)}, "terms", "longer than 200"),
        ({"terms": ("\u200b",)}, "terms", "must not be empty"),
    ],
)
def test_what_the_gateways_matcher_refuses_is_refused(
    fields: dict[str, object], param: str, says: str
) -> None:
    with pytest.raises(InvalidRequest) as raised:
        spec(**fields)
    assert raised.value.param == param
    assert says in raised.value.message
    assert raised.value.message.startswith(f"{param}: blocklist 'competitors': ")


def test_the_largest_list_allowed_is_accepted() -> None:
    terms = tuple(f"term {n}" for n in range(MAX_TERMS))
    patterns = tuple(rf"\bp{n}\b" for n in range(MAX_PATTERNS))
    made = spec(terms=terms, patterns=patterns, description="d" * MAX_DESCRIPTION_LENGTH)
    assert (len(made.terms), len(made.patterns)) == (MAX_TERMS, MAX_PATTERNS)


# --- put: create or replace -------------------------------------------------------------------


async def test_put_creates_then_replaces_keeping_the_creation_time(world: Admin) -> None:
    record, created = await world.admin.put(spec(terms=("a", "b"), patterns=("x",)), "k")
    assert created is True
    assert (record.created_at, record.updated_at) == (T0, T0)
    world.clock.advance(60)
    later = T0 + timedelta(seconds=60)
    replaced, created = await world.admin.put(spec(terms=("B", "c"), description="new"), "k")
    assert created is False
    assert replaced == BlocklistRecord("competitors", ("B", "c"), (), "new", T0, later)
    assert await world.admin.get("competitors") == replaced
    first, second = await world.entries()
    assert (first.action, first.details) == ("blocklist.create", {"terms": 2, "patterns": 1})
    assert second.action == "blocklist.update"
    assert second.details == {
        "terms": 2,
        "patterns": 0,
        "terms_added": 1,
        "terms_removed": 1,
        "patterns_added": 0,
        "patterns_removed": 1,
        "description_changed": True,
        "replaced": True,
    }


# --- update: additions and removals ---------------------------------------------------------


async def test_update_adds_and_removes_and_keeps_the_rest(world: Admin) -> None:
    await filled(world)
    world.clock.advance(5)
    changes = BlocklistChanges(
        add_terms=("Fabrikam GPT", "contosoai"),
        remove_terms=("project nightjar",),
        add_patterns=(r"code[- ]name \d+",),
    )
    updated = await world.admin.update("competitors", changes, "k")
    assert updated.terms == ("ContosoAI", "Fabrikam GPT")
    assert updated.patterns == (r"\bfalcon\d+\b", r"code[- ]name \d+")
    assert (updated.description, updated.created_at) == ("rivals", T0)
    assert updated.updated_at == T0 + timedelta(seconds=5)
    assert await world.admin.get("competitors") == updated
    entry = (await world.entries())[-1]
    assert (entry.action, entry.target, entry.actor) == ("blocklist.update", "competitors", "k")
    assert entry.details == {
        "terms": 2,
        "patterns": 2,
        "terms_added": 1,
        "terms_removed": 1,
        "patterns_added": 1,
        "patterns_removed": 0,
        "description_changed": False,
    }


async def test_the_audit_log_never_holds_an_entry_of_a_list(world: Admin) -> None:
    await filled(world)
    await world.admin.update("competitors", BlocklistChanges(remove_terms=(SECRET,)), "k")
    await world.admin.put(spec(terms=(SECRET,), patterns=("nightjar",)), "k")
    await world.admin.delete("competitors", "k")
    logged = json.dumps([entry.details for entry in await world.entries()]).lower()
    for secret in ("nightjar", "contoso", "falcon", "rivals"):
        assert secret not in logged


async def test_the_description_is_changed_or_cleared_and_kept_when_not_named(
    world: Admin,
) -> None:
    await filled(world)
    same = await world.admin.update("competitors", BlocklistChanges(add_terms=("z",)), "k")
    assert same.description == "rivals"
    cleared = await world.admin.update("competitors", BlocklistChanges(description=""), "k")
    assert cleared.description == ""
    assert (await world.entries())[-1].details["description_changed"] is True


async def test_a_change_that_alters_nothing_stores_and_audits_nothing(world: Admin) -> None:
    before = await filled(world)
    world.clock.advance(9)
    for changes in (
        BlocklistChanges(),
        BlocklistChanges(add_terms=("CONTOSOAI",), remove_terms=("absent",)),
        BlocklistChanges(add_patterns=(r"\bfalcon\d+\b",), remove_patterns=("absent",)),
        BlocklistChanges(description="rivals"),
    ):
        assert await world.admin.update("competitors", changes, "k") == before
    assert await world.admin.get("competitors") == before
    assert [entry.action for entry in await world.entries()] == ["blocklist.create"]


async def test_removing_a_pattern_needs_its_exact_text(world: Admin) -> None:
    await filled(world)
    kept = await world.admin.update(
        "competitors", BlocklistChanges(remove_patterns=(r"\bFALCON\d+\b",)), "k"
    )
    assert kept.patterns == (r"\bfalcon\d+\b",)
    gone = await world.admin.update(
        "competitors", BlocklistChanges(remove_patterns=(r"\bfalcon\d+\b",)), "k"
    )
    assert gone.patterns == ()


def test_an_entry_both_added_and_removed_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="also in add_terms") as raised:
        BlocklistChanges(add_terms=("Contoso",), remove_terms=("contoso",))
    assert raised.value.param == "remove_terms"
    with pytest.raises(InvalidRequest, match="also in add_patterns") as raised:
        BlocklistChanges(add_patterns=("x+",), remove_patterns=("x+",))
    assert raised.value.param == "remove_patterns"


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"add_terms": (" ",)}, "add_terms"),
        ({"remove_terms": ("x" * (MAX_TERM_LENGTH + 1),)}, "remove_terms"),
        ({"add_patterns": ("",)}, "add_patterns"),
        ({"remove_patterns": ("p",) * (MAX_PATTERNS + 1)}, "remove_patterns"),
        ({"description": "x" * (MAX_DESCRIPTION_LENGTH + 1)}, "description"),
    ],
)
def test_bad_changes_are_refused_when_made(fields: dict[str, object], param: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        BlocklistChanges(**fields)  # type: ignore[arg-type]
    assert raised.value.param == param


def test_given_names_what_a_change_touches() -> None:
    assert BlocklistChanges().given() == ()
    assert BlocklistChanges(description=KEEP).given() == ()
    changes = BlocklistChanges(add_patterns=("x",), description="")
    assert changes.given() == ("add_patterns", "description")


async def test_a_pattern_the_matcher_refuses_is_refused_on_update(world: Admin) -> None:
    before = await filled(world)
    with pytest.raises(InvalidRequest) as raised:
        await world.admin.update("competitors", BlocklistChanges(add_patterns=("(unclosed",)), "k")
    assert raised.value.param == "add_patterns"
    assert await world.admin.get("competitors") == before
    assert len(await world.entries()) == 1


async def test_an_update_may_not_grow_a_list_past_its_bounds(world: Admin) -> None:
    await world.admin.create(spec(terms=tuple(f"t{n}" for n in range(MAX_TERMS))), "k")
    with pytest.raises(InvalidRequest, match="would hold 10,001 terms") as raised:
        await world.admin.update("competitors", BlocklistChanges(add_terms=("one more",)), "k")
    assert raised.value.param == "add_terms"
    swapped = await world.admin.update(
        "competitors", BlocklistChanges(add_terms=("new",), remove_terms=("t0",)), "k"
    )
    assert len(swapped.terms) == MAX_TERMS
    assert swapped.terms[-1] == "new"


async def test_updating_an_unknown_list_is_not_found(world: Admin) -> None:
    with pytest.raises(NotFound, match="no managed blocklist 'ghost'"):
        await world.admin.update("ghost", BlocklistChanges(add_terms=("x",)), "k")
    assert await world.entries() == []


# --- delete -----------------------------------------------------------------------------------


async def test_delete_removes_the_list_and_audits_what_it_held(world: Admin) -> None:
    await filled(world)
    await world.admin.create(spec("other"), "k")
    await world.admin.delete("competitors", "admin-key")
    assert [record.name for record in await world.admin.list()] == ["other"]
    entry = (await world.entries())[-1]
    assert (entry.action, entry.target, entry.actor) == (
        "blocklist.delete",
        "competitors",
        "admin-key",
    )
    assert entry.details == {"terms": 2, "patterns": 1}
    with pytest.raises(NotFound):
        await world.admin.delete("competitors", "admin-key")
    assert len(await world.entries()) == 3
