"""DatasetAdmin: pushing checked JSONL as numbered versions, references, reading back, the
audit trail; and the admin layer's line rules agreeing with the evaluation tool's reader."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from sluicegate.admin import dataset_lines
from sluicegate.admin.dataset_lines import DatasetLineError, check_lines
from sluicegate.admin.datasets import DatasetAdmin, DatasetRef, parse_dataset_ref
from sluicegate.core.clock import ManualClock
from sluicegate.core.datasets import DATASET_NAME_PATTERN, DatasetInfo
from sluicegate.core.errors import InvalidRequest, NotFound
from sluicegate.evals import dataset as tool_dataset
from sluicegate.evals.dataset import DatasetError, parse_dataset
from sluicegate.stores.audit_memory import MemoryAuditLog
from sluicegate.stores.datasets_memory import MemoryDatasetStore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
QA = '{"id": "q1", "question": "2+2?", "expected": 4}\r\n\n{"inputs": {"question": "Zoë?"}}\n'


def lines(*values: object) -> str:
    return "\n".join(v if isinstance(v, str) else json.dumps(v) for v in values)


@pytest.fixture
def audit() -> MemoryAuditLog:
    return MemoryAuditLog()


@pytest.fixture
def admin(audit: MemoryAuditLog) -> DatasetAdmin:
    clock = ManualClock(wall_start=T0.timestamp())
    return DatasetAdmin(MemoryDatasetStore(clock), audit, clock)


async def test_a_push_stores_version_1_and_audits_it(
    admin: DatasetAdmin, audit: MemoryAuditLog
) -> None:
    pushed = await admin.push(QA, "key:abc", name="qa", description="  arithmetic \n")
    assert pushed.created
    info = pushed.info
    assert (info.ref, info.items, info.author, info.description) == (
        "qa@v1",
        2,
        "key:abc",
        "arithmetic",
    )
    assert info.content_hash == hashlib.sha256(QA.encode()).hexdigest()
    (entry,) = await audit.list(limit=10)
    assert (entry.action, entry.target, entry.actor) == ("dataset.push", "qa", "key:abc")
    assert entry.details == {"version": 1, "items": 2, "content_hash": info.content_hash}
    version = await admin.resolve("qa")
    assert version.content == QA


async def test_identical_content_creates_nothing_and_changed_content_a_new_version(
    admin: DatasetAdmin, audit: MemoryAuditLog
) -> None:
    await admin.push(QA, "a", name="qa")
    again = await admin.push(QA, "b", name="qa", description="other words")
    assert not again.created
    assert again.info.version == 1
    assert again.info.author == "a"
    second = await admin.push(QA + '{"question": "3+3?"}\n', "b", name="qa")
    assert (second.created, second.info.version, second.info.items) == (True, 2, 3)
    back = await admin.push(QA, "c", name="qa")  # an older content again: a new version
    assert (back.created, back.info.version) == (True, 3)
    assert [v.version for v in await admin.versions("qa")] == [1, 2, 3]
    assert [d.ref for d in await admin.list()] == ["qa@v3"]
    assert len(await audit.list(limit=10)) == 3


async def test_references_name_the_latest_or_one_version(admin: DatasetAdmin) -> None:
    await admin.push(QA, "a", name="qa")
    await admin.push(QA + '{"q": 1}\n', "a", name="qa")
    assert (await admin.resolve("qa")).info.version == 2
    assert (await admin.resolve("qa@v1")).info.version == 1
    assert (await admin.resolve("qa@1")).info.version == 1
    assert (await admin.resolve(DatasetRef("qa", 2))).info.version == 2
    with pytest.raises(NotFound, match=r"dataset 'qa' has no version 9 \(its latest is v2\)"):
        await admin.resolve("qa@v9")
    with pytest.raises(NotFound, match="no dataset 'other'"):
        await admin.resolve("other")
    with pytest.raises(NotFound, match="no dataset 'other'"):
        await admin.versions("other")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("qa@latest", "'latest' is not a version"),
        ("qa@v0", "'v0' is not a version"),
        ("qa@", "'' is not a version"),
        ("bad name", "is not a dataset name"),
        ("@v1", "is not a dataset name"),
    ],
)
def test_bad_references_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        parse_dataset_ref(text)


async def test_show_previews_the_first_items_as_written(admin: DatasetAdmin) -> None:
    content = lines({"q": 1}, "", {"q": 2}, {"q": 3})
    await admin.push(content, "a", name="qa")
    shown = await admin.show("qa", 2)
    assert [(p.line, p.value) for p in shown.preview] == [(1, {"q": 1}), (3, {"q": 2})]
    assert shown.latest == 1
    assert (await admin.show("qa@v1", 0)).preview == ()
    with pytest.raises(InvalidRequest, match="limit"):
        await admin.show("qa", 101)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the dataset has no items"),
        (lines({"q": 1}, "{oops"), "line 2: not valid JSON"),
        (lines({"id": "a", "q": 1}, {"id": "a", "q": 2}), "line 2: id 'a' is already used"),
        (lines({"q": 1}, [1]), "line 2: each line must be a JSON object, not an array"),
    ],
)
async def test_a_file_a_run_could_not_read_is_refused_and_nothing_stored(
    admin: DatasetAdmin, content: str, message: str
) -> None:
    with pytest.raises(InvalidRequest) as raised:
        await admin.push(content, "a", name="qa")
    assert message in raised.value.message
    assert raised.value.param == "content"
    assert await admin.list() == []


async def test_names_and_descriptions_are_checked(admin: DatasetAdmin) -> None:
    with pytest.raises(InvalidRequest, match="not a dataset name") as raised:
        await admin.push(QA, "a", name="no spaces")
    assert raised.value.param == "name"
    with pytest.raises(InvalidRequest, match="description"):
        await admin.push(QA, "a", name="qa", description="x" * 2001)


def test_the_name_rule_and_the_line_rules_are_the_tools() -> None:
    from sluicegate.core.prompts import PROMPT_NAME_PATTERN

    assert DATASET_NAME_PATTERN.pattern == PROMPT_NAME_PATTERN.pattern
    assert dataset_lines.read_lines is tool_dataset.read_lines  # one reader, in wire


FEEDBACK = {
    "request_id": "req-1",
    "sentiment": "negative",
    "input": {"messages": [{"role": "user", "content": [{"type": "text", "text": "Hi?"}]}]},
    "output": None,
}

CASES: list[tuple[str, ...]] = [
    (json.dumps({"id": "q1", "inputs": {"q": 1}, "expected": "4", "metadata": {"k": 1}}),),
    (json.dumps({"question": "3+3?", "context": "x", "expected": 6}),),
    (json.dumps({"q": "a"}), "", "   ", json.dumps({"id": 7, "q": "c"})),
    (json.dumps({"q": "a"}), "{not json"),
    ("[1, 2]",),
    (json.dumps({"inputs": "text"}),),
    (json.dumps({"inputs": {"q": 1}, "question": "x"}),),
    (json.dumps({"inputs": {}}),),
    (json.dumps({"id": "x"}),),
    (json.dumps({"q": "a", "expected": ["4"]}),),
    (json.dumps({"q": "a", "expected": True}),),
    (json.dumps({"q": "a", "expected": None, "metadata": None}),),
    (json.dumps({"q": "a", "metadata": "m"}),),
    (json.dumps({"q": "a", "id": {"x": 1}}),),
    (json.dumps({"q": "a", "id": True}),),
    (json.dumps({"q": "a", "id": " "}),),
    (json.dumps({"id": "a", "q": 1}), json.dumps({"id": "b", "q": 2}), json.dumps({"id": "a"})),
    (json.dumps({"id": "line-2", "q": 1}), json.dumps({"q": 2})),
    ("", " "),
    ("\u00a0",),
    (json.dumps({"q": 1}) + "\r", "\r"),
    (json.dumps(FEEDBACK),),
    (json.dumps(FEEDBACK), json.dumps({**FEEDBACK, "request_id": "req-2", "input": None})),
    (json.dumps({**FEEDBACK, "input": "cut short"}),),
    (json.dumps({**FEEDBACK, "input": {"messages": [{"role": "system", "content": "x"}]}}),),
    (json.dumps({**FEEDBACK, "input": {"messages": [{"role": "user", "content": 3}]}}),),
    (json.dumps({**FEEDBACK, "request_id": ""}),),
    (json.dumps(FEEDBACK), json.dumps({"id": "req-1", "q": 1})),
]


@pytest.mark.parametrize("case", CASES)
def test_the_admin_rules_agree_with_the_tools_reader(case: tuple[str, ...]) -> None:
    content = "\n".join(case)
    try:
        read = parse_dataset(content.encode(), "d.jsonl")
    except DatasetError as error:
        with pytest.raises(DatasetLineError) as raised:
            check_lines(content)
        tool_says = str(error).replace("d.jsonl line ", "line ").removeprefix("d.jsonl: ")
        mine = str(raised.value)
        assert mine.split(" (")[0] in tool_says, (mine, tool_says)
        return
    checked = check_lines(content)
    assert (checked.items, checked.skipped) == (len(read.items), len(read.skipped))


def test_a_dataset_info_ref() -> None:
    info = DatasetInfo("qa", 3, 1, "h", "", "a", T0)
    assert info.ref == "qa@v3"
