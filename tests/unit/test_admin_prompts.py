"""PromptAdmin: pushing, references, labels and their rules, the promotion seam and the audit
trail, on the memory stores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from sluicegate.admin import prompt_refs
from sluicegate.admin.prompt_refs import PromptRef, parse_ref, parse_split
from sluicegate.admin.prompts import PUSH_ATTEMPTS, Promotion, PromptAdmin
from sluicegate.config.prompts import LABEL_PATTERN, VERSION_LIKE, PromptSettings
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sluicegate.core.identity import Role
from sluicegate.core.ledger import AuditEntry
from sluicegate.core.prompts import (
    PROMPT_NAME_PATTERN,
    VERSION_TOKEN,
    LabelTarget,
    PromptVersion,
)
from sluicegate.prompts import hashing
from sluicegate.stores.audit_memory import MemoryAuditLog
from sluicegate.stores.prompts_memory import MemoryPromptStore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ADMIN, OPERATOR = Role.ADMIN, Role.OPERATOR


def prompty(body: str = "You help {{customer}}.", name: str | None = "support") -> str:
    named = f"name: {name}\n" if name is not None else ""
    return f"---\n{named}inputs:\n  customer:\n    type: string\n---\nsystem:\n{body}\n"


@dataclass
class World:
    admin: PromptAdmin
    store: MemoryPromptStore
    audit: MemoryAuditLog
    clock: ManualClock

    async def entries(self) -> list[AuditEntry]:
        return await self.audit.list(limit=1000)

    async def versions(self, count: int, name: str = "support") -> None:
        for number in range(1, count + 1):
            await self.admin.push(
                prompty(f"Version {number} for {{{{customer}}}}."), "a", name=name
            )


@pytest.fixture
def world() -> World:
    clock = ManualClock(wall_start=T0.timestamp())
    store, audit = MemoryPromptStore(clock), MemoryAuditLog()
    return World(PromptAdmin(store, audit, clock), store, audit, clock)


def one(version: int) -> tuple[LabelTarget, ...]:
    return (LabelTarget(version),)


# --- push ----------------------------------------------------------------------------------------


async def test_a_push_stores_version_1_under_the_front_matters_name(world: World) -> None:
    source = prompty()
    pushed = await world.admin.push(source, "key:abc", message="  first cut \n")
    assert pushed.created
    version = pushed.version
    assert (version.ref, version.parent, version.author) == ("support@v1", None, "key:abc")
    assert (version.source, version.message) == (source, "first cut")
    assert version.content_hash == hashing.content_hash(source)
    [entry] = await world.entries()
    assert (entry.action, entry.target, entry.actor) == ("prompt.push", "support", "key:abc")
    assert entry.details == {
        "version": 1,
        "parent": None,
        "content_hash": hashing.content_hash(source),
        "message": "first cut",
    }


async def test_pushing_what_the_latest_version_holds_stores_nothing(world: World) -> None:
    await world.admin.push(prompty(), "a")
    again = await world.admin.push(prompty(), "b", message="same again")
    assert not again.created
    assert again.version.version == 1
    assert len(await world.store.versions("support")) == 1
    assert len(await world.entries()) == 1


async def test_a_changed_file_is_the_next_version_and_an_old_text_comes_back_as_new(
    world: World,
) -> None:
    await world.admin.push(prompty("One {{customer}}."), "a")
    second = await world.admin.push(prompty("Two {{customer}}."), "a")
    assert (second.version.version, second.version.parent) == (2, 1)
    back = await world.admin.push(prompty("One {{customer}}."), "a")
    assert back.created
    assert (back.version.version, back.version.parent) == (3, 2)


async def test_an_explicit_name_wins_over_the_front_matter(world: World) -> None:
    pushed = await world.admin.push(prompty(name="Customer Support Bot"), "a", name="support-v")
    assert pushed.version.name == "support-v"
    nameless = await world.admin.push(prompty(name=None), "a", name="other")
    assert nameless.version.ref == "other@v1"


@pytest.mark.parametrize(
    ("source", "name", "param", "words"),
    [
        ("---\nname: [x\n---\nhi\n", None, "source", "not a valid prompty file: line 3"),
        ("---\nname: a\n---\n{{ x \n", None, "source", "template syntax error"),
        ("   \n", None, "source", "empty"),
        (prompty(name=None), None, "name", "no `name`"),
        (prompty(name="Customer Support"), None, "name", "give the prompt's name explicitly"),
        (prompty(), "has space", "name", "is not a prompt name"),
        (prompty(), "-dash-first", "name", "is not a prompt name"),
    ],
)
async def test_files_and_names_that_cannot_be_pushed_are_refused(
    world: World, source: str, name: str | None, param: str, words: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        await world.admin.push(source, "a", name=name)
    assert words in refused.value.message
    assert refused.value.param == param
    assert await world.store.prompts() == []
    assert await world.entries() == []


async def test_an_overlong_file_or_message_is_refused(world: World) -> None:
    with pytest.raises(InvalidRequest, match="at most"):
        await world.admin.push(prompty("x" * 1_000_001), "a")
    with pytest.raises(InvalidRequest, match="message"):
        await world.admin.push(prompty(), "a", message="m" * 2001)


class RacedStore(MemoryPromptStore):
    """A store where another writer pushes the next of `rivals` just before each push of
    ours, while rivals last."""

    def __init__(self, clock: ManualClock, rivals: Sequence[str]) -> None:
        super().__init__(clock)
        self.rivals = list(rivals)

    async def add_version(
        self,
        name: str,
        source: str,
        content_hash: str,
        *,
        author: str,
        message: str,
        parent: int | None,
    ) -> PromptVersion:
        if self.rivals:
            rival = self.rivals.pop(0)
            await super().add_version(
                name, rival, hashing.content_hash(rival), author="rival", message="", parent=parent
            )
        return await super().add_version(
            name, source, content_hash, author=author, message=message, parent=parent
        )


def raced(rivals: Sequence[str]) -> World:
    clock = ManualClock(wall_start=T0.timestamp())
    store, audit = RacedStore(clock, rivals), MemoryAuditLog()
    return World(PromptAdmin(store, audit, clock), store, audit, clock)


async def test_a_push_that_loses_a_race_takes_the_next_number() -> None:
    world = raced([prompty("Rival {{customer}}.")])
    pushed = await world.admin.push(prompty(), "me")
    assert pushed.created
    assert [(v.version, v.author) for v in await world.store.versions("support")] == [
        (1, "rival"),
        (2, "me"),
    ]
    assert pushed.version.parent == 1


async def test_a_push_that_loses_to_the_same_text_stores_nothing() -> None:
    world = raced([prompty()])
    pushed = await world.admin.push(prompty(), "me")
    assert not pushed.created
    assert pushed.version.author == "rival"
    assert await world.entries() == []


async def test_a_push_that_keeps_losing_gives_up_with_a_conflict() -> None:
    world = raced([prompty(f"Rival {n} {{{{customer}}}}.") for n in range(PUSH_ATTEMPTS)])
    with pytest.raises(Conflict, match="push again"):
        await world.admin.push(prompty(), "me")
    versions = await world.store.versions("support")
    assert [v.author for v in versions] == ["rival"] * PUSH_ATTEMPTS
    assert await world.entries() == []


# --- references ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("support", PromptRef("support")),
        ("support@v3", PromptRef("support", version=3)),
        ("support@3", PromptRef("support", version=3)),
        ("support@production", PromptRef("support", label="production")),
        ("a.b_c-d@canary-2", PromptRef("a.b_c-d", label="canary-2")),
    ],
)
def test_references_name_the_latest_a_version_or_a_label(text: str, ref: PromptRef) -> None:
    assert parse_ref(text) == ref
    assert str(ref) in (text, text.replace("@3", "@v3"))


@pytest.mark.parametrize("text", ["", "@v1", "support@", "support@v0", "sup port", "x@a b", "x@@y"])
def test_bad_references_are_refused(text: str) -> None:
    with pytest.raises(InvalidRequest):
        parse_ref(text)


async def test_a_reference_resolves_to_its_version(world: World) -> None:
    await world.versions(3)
    await world.admin.promote("support", "production", one(2), actor="a", role=ADMIN)
    assert (await world.admin.resolve("support")).version == 3
    assert (await world.admin.resolve("support@v1")).version == 1
    assert (await world.admin.resolve("support@1")).version == 1
    assert (await world.admin.resolve("support@production")).version == 2


async def test_unknown_prompts_versions_and_labels_are_not_found(world: World) -> None:
    await world.versions(2)
    with pytest.raises(NotFound, match="no prompt 'nothing'"):
        await world.admin.resolve("nothing")
    with pytest.raises(NotFound, match=r"no version 7 \(its latest is v2\)"):
        await world.admin.resolve("support@v7")
    with pytest.raises(NotFound, match="no label 'staging'"):
        await world.admin.resolve("support@staging")
    with pytest.raises(NotFound, match="no prompt 'nothing'"):
        await world.admin.resolve("nothing@staging")
    with pytest.raises(NotFound):
        await world.admin.history("nothing")
    with pytest.raises(NotFound):
        await world.admin.versions("nothing")


async def test_a_split_label_names_no_single_version(world: World) -> None:
    await world.versions(2)
    split = parse_split("1:90,2:10")
    await world.admin.promote("support", "production", split, actor="a", role=ADMIN)
    with pytest.raises(InvalidRequest, match=r"between v1 \(90\), v2 \(10\).*support@v1"):
        await world.admin.resolve("support@production")


async def test_show_names_the_labels_that_point_at_the_version(world: World) -> None:
    await world.versions(3)
    await world.admin.promote("support", "production", one(2), actor="a", role=ADMIN)
    await world.admin.promote("support", "canary", parse_split("2:1,3:1"), actor="a", role=ADMIN)
    await world.admin.promote("support", "staging", one(3), actor="a", role=ADMIN)
    shown = await world.admin.show("support@v2")
    assert shown.version.version == 2
    assert shown.latest == 3
    assert [label.label for label in shown.labels] == ["canary", "production"]


async def test_diff_compares_two_references(world: World) -> None:
    await world.versions(2)
    await world.admin.promote("support", "production", one(1), actor="a", role=ADMIN)
    diff = await world.admin.diff("support@production", "support")
    assert (diff.a.version, diff.b.version) == (1, 2)
    assert "support@v1" in diff.text
    assert "support@v2" in diff.text
    assert "-Version 1" in diff.text
    assert "+Version 2" in diff.text
    assert (await world.admin.diff("support@v2", "support@2")).text == ""


# --- labels --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label", ["v3", "3", "V3", "0", "v0", "007", "x y", "", "-x", "a" * 129, "with@at"]
)
async def test_labels_that_are_not_names_or_look_like_versions_are_refused(
    world: World, label: str
) -> None:
    await world.versions(1)
    with pytest.raises(InvalidRequest) as refused:
        await world.admin.promote("support", label, one(1), actor="a", role=ADMIN)
    assert refused.value.param == "label"
    assert await world.store.labels() == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("3", "VERSION:WEIGHT"),
        ("3:0", "from 1 to"),
        ("3:x", "from 1 to"),
        ("3:90,v3:10", "repeated: v3"),
        ("x:1", "not a version"),
        (",".join(f"{n}:1" for n in range(1, 12)), "at most 10"),
    ],
)
def test_bad_splits_are_refused(text: str, words: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_split(text)
    assert words in refused.value.message


def test_a_split_keeps_order_and_weights() -> None:
    assert parse_split(" v3:90 , 4:10") == (LabelTarget(3, 90), LabelTarget(4, 10))


async def test_moving_a_label_is_recorded_and_audited(world: World) -> None:
    await world.versions(2)
    first = await world.admin.promote("support", "staging", one(1), actor="op", role=OPERATOR)
    assert first.changed
    second = await world.admin.promote(
        "support", "staging", parse_split("1:90,2:10"), actor="op", role=OPERATOR, note="canary"
    )
    assert second.label.targets == (LabelTarget(1, 90), LabelTarget(2, 10))
    history = await world.admin.history("support", "staging")
    assert [(m.before, m.after, m.note) for m in history] == [
        ((), one(1), ""),
        (one(1), second.label.targets, "canary"),
    ]
    entries = await world.entries()
    assert [e.action for e in entries[-2:]] == ["prompt.label", "prompt.label"]
    assert entries[-1].details == {
        "label": "staging",
        "before": [{"version": 1, "weight": 1}],
        "after": [{"version": 1, "weight": 90}, {"version": 2, "weight": 10}],
        "note": "canary",
    }


async def test_a_label_already_there_is_left_alone(world: World) -> None:
    await world.versions(1)
    await world.admin.promote("support", "staging", one(1), actor="a", role=ADMIN)
    before = len(await world.entries())
    again = await world.admin.promote("support", "staging", one(1), actor="b", role=ADMIN)
    assert not again.changed
    assert again.label.updated_by == "a"
    assert len(await world.entries()) == before
    assert len(await world.admin.history("support")) == 1


async def test_protected_labels_are_moved_and_removed_by_admins_only(world: World) -> None:
    await world.versions(2)
    with pytest.raises(PermissionDenied, match="'production' is protected"):
        await world.admin.promote("support", "production", one(1), actor="op", role=OPERATOR)
    assert await world.store.labels() == []
    assert await world.entries() == [e for e in await world.entries() if e.action == "prompt.push"]
    await world.admin.promote("support", "production", one(1), actor="boss", role=ADMIN)
    with pytest.raises(PermissionDenied):
        await world.admin.promote("support", "production", one(2), actor="op", role=OPERATOR)
    with pytest.raises(PermissionDenied):
        await world.admin.remove_label("support", "production", actor="op", role=OPERATOR)
    label = await world.admin.get_label("support", "production")
    assert label.targets == one(1)
    removed = await world.admin.remove_label("support", "production", actor="boss", role=ADMIN)
    assert (removed.before, removed.after) == (one(1), ())
    assert (await world.entries())[-1].action == "prompt.unlabel"


async def test_which_labels_are_protected_is_configurable() -> None:
    clock = ManualClock(wall_start=T0.timestamp())
    store, audit = MemoryPromptStore(clock), MemoryAuditLog()
    admin = PromptAdmin(store, audit, clock, protected_labels=("prod", "live"))
    await admin.push(prompty(), "a")
    await admin.promote("support", "production", one(1), actor="op", role=OPERATOR)
    with pytest.raises(PermissionDenied):
        await admin.promote("support", "live", one(1), actor="op", role=OPERATOR)
    assert admin.is_protected("prod")
    assert not admin.is_protected("production")


async def test_a_label_on_a_version_that_does_not_exist_is_not_found(world: World) -> None:
    await world.versions(1)
    calls: list[Promotion] = []

    async def verifier(promotion: Promotion) -> str:
        calls.append(promotion)
        return ""

    with pytest.raises(NotFound, match="no version 2"):
        await world.admin.promote(
            "support", "staging", parse_split("1:1,2:1"), actor="a", role=ADMIN, verifier=verifier
        )
    with pytest.raises(NotFound, match="no prompt"):
        await world.admin.promote("other", "staging", one(1), actor="a", role=ADMIN)
    assert calls == []
    assert await world.store.labels() == []


async def test_removing_a_label_that_is_not_there_is_not_found(world: World) -> None:
    await world.versions(1)
    with pytest.raises(NotFound, match="no label 'staging'"):
        await world.admin.remove_label("support", "staging", actor="a", role=ADMIN)
    with pytest.raises(NotFound, match="no prompt 'other'"):
        await world.admin.remove_label("other", "staging", actor="a", role=ADMIN)


# --- the promotion seam --------------------------------------------------------------------------


async def test_a_verifier_sees_the_move_and_its_note_is_kept(world: World) -> None:
    await world.versions(2)
    await world.admin.promote("support", "production", one(1), actor="a", role=ADMIN)
    seen: list[Promotion] = []

    async def passing(promotion: Promotion) -> str:
        seen.append(promotion)
        return "evaluation run 42 passed"

    change = await world.admin.promote(
        "support", "production", one(2), actor="boss", role=ADMIN, note="weekly", verifier=passing
    )
    assert seen == [Promotion("support", "production", one(1), one(2), "boss")]
    assert change.move is not None
    assert change.move.note == "weekly; evaluation run 42 passed"
    assert (await world.entries())[-1].details["note"] == "weekly; evaluation run 42 passed"


async def test_a_verifier_that_refuses_leaves_the_label_where_it_was(world: World) -> None:
    await world.versions(2)
    await world.admin.promote("support", "production", one(1), actor="a", role=ADMIN)
    audited = len(await world.entries())

    async def failing(promotion: Promotion) -> str:
        raise Conflict(f"v{promotion.after[0].version} has no passing evaluation")

    with pytest.raises(Conflict, match="no passing evaluation"):
        await world.admin.promote(
            "support", "production", one(2), actor="boss", role=ADMIN, verifier=failing
        )
    assert (await world.admin.get_label("support", "production")).targets == one(1)
    assert len(await world.entries()) == audited


async def test_the_admins_own_verifier_judges_every_promotion() -> None:
    clock = ManualClock(wall_start=T0.timestamp())
    store, audit = MemoryPromptStore(clock), MemoryAuditLog()
    judged: list[str] = []

    async def verifier(promotion: Promotion) -> str:
        judged.append(promotion.label)
        return "ok"

    admin = PromptAdmin(store, audit, clock, verifier=verifier)
    await admin.push(prompty(), "a")
    await admin.promote("support", "staging", one(1), actor="a", role=ADMIN)
    assert judged == ["staging"]
    assert [m.note for m in await admin.history("support")] == ["ok"]


# --- settings ------------------------------------------------------------------------------------


def test_the_config_and_the_registry_agree_on_names() -> None:
    assert LABEL_PATTERN.pattern == PROMPT_NAME_PATTERN.pattern
    assert VERSION_LIKE.pattern == prompt_refs.VERSION_LIKE.pattern
    assert all(VERSION_LIKE.match(token) for token in ("3", "v3", "v123456789"))
    assert all(VERSION_TOKEN.match(token) for token in ("3", "v3", "v123456789"))


def test_prompt_settings_defaults_and_bounds() -> None:
    settings = PromptSettings()
    assert settings.protected_labels == ("production",)
    assert settings.refresh_seconds == 2.0
    assert PromptSettings.model_validate(
        {"protected_labels": ["prod", "live"]}
    ).protected_labels == (
        "prod",
        "live",
    )
    assert PromptSettings.model_validate({"protected_labels": []}).protected_labels == ()


@pytest.mark.parametrize(
    "data",
    [
        {"refresh_seconds": 0},
        {"refresh_seconds": 5.5},
        {"protected_labels": ["v2"]},
        {"protected_labels": ["has space"]},
        {"protected_labels": ["prod", "prod"]},
        {"unknown": 1},
    ],
)
def test_prompt_settings_refuse_bad_values(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PromptSettings.model_validate(data)
