"""`/admin/datasets` and `/admin/evals` over HTTP, and `evaluation` on a label move: who may do
what, pushing and reading datasets byte for byte, publishing runs, promotions a run allows or
refuses, the audit trail and the OpenAPI document."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from tests.e2e.admin_support import AdminStack, admin_stack

pytestmark = pytest.mark.e2e

DATASETS = "/admin/datasets"
EVALS = "/admin/evals"
# CRLF line ends, a blank line and non-ASCII text: the content must come back as pushed.
QA = '{"id": "q1", "question": "Zoë?", "expected": 4}\r\n\r\n{"inputs": {"question": "2+2?"}}\n'
PROMPT = "---\nname: support\n---\nuser:\nVersion {n}.\n"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[AdminStack]:
    async with admin_stack(tmp_path) as started:
        yield started


def summary(baseline: str, candidate: str, **verdicts: str) -> dict[str, Any]:
    return {
        "format": "sluicegate-eval-summary/1",
        "generated_at": "2026-12-01T10:00:00Z",
        "metrics": [{"name": name, "kind": "pass_fail", "spec": name} for name in verdicts],
        "comparisons": [
            {
                "candidate": candidate,
                "metric": name,
                "n": 40,
                "baseline_mean": 0.9,
                "candidate_mean": 0.5 if verdict == "worse" else 0.9,
            }
            for name, verdict in verdicts.items()
        ],
        "gate": {
            "complete": True,
            "alpha": 0.05,
            "baseline": {"spec": "support@production", "resolved_versions": [baseline]},
            "candidates": [
                {"spec": candidate, "resolved_versions": [candidate], "verdicts": verdicts}
            ],
        },
    }


async def test_datasets_are_pushed_checked_and_read_back(stack: AdminStack) -> None:
    pushed = await stack.call(
        "POST", DATASETS, role="operator",
        json={"name": "qa", "content": QA, "description": "arithmetic"},
    )  # fmt: skip
    assert pushed.status == 201, pushed.body
    version = pushed.body["version"]
    assert (version["ref"], version["items"], version["description"]) == ("qa@v1", 2, "arithmetic")
    assert version["content_hash"] == hashlib.sha256(QA.encode()).hexdigest()
    assert version["author"] == f"key:{stack.key_id('operator')}"
    again = await stack.call("POST", DATASETS, json={"name": "qa", "content": QA})
    assert (again.status, again.body["created"], again.body["version"]["version"]) == (
        200,
        False,
        1,
    )
    second = await stack.call("POST", DATASETS, json={"name": "qa", "content": QA + '{"q": 1}'})
    assert (second.status, second.body["version"]["ref"]) == (201, "qa@v2")

    listed = await stack.call("GET", DATASETS, role="operator")
    assert [(d["ref"], d["items"]) for d in listed.body["data"]] == [("qa@v2", 3)]
    shown = await stack.call("GET", f"{DATASETS}/qa")
    assert [v["version"] for v in shown.body["versions"]] == [1, 2]
    content = await stack.call("GET", f"{DATASETS}/qa/versions/v1/content")
    assert content.body["content"] == QA
    latest = await stack.call("GET", f"{DATASETS}/qa/versions/latest?limit=2")
    assert latest.body["version"] == 2
    assert latest.body["preview"] == [
        {"line": 1, "value": {"id": "q1", "question": "Zoë?", "expected": 4}},
        {"line": 3, "value": {"inputs": {"question": "2+2?"}}},
    ]
    audit = await stack.call("GET", "/admin/audit?limit=100")
    pushes = [e for e in audit.body["data"] if e["action"] == "dataset.push"]
    assert sorted(e["details"]["version"] for e in pushes) == [1, 2]
    assert {e["target"] for e in pushes} == {"qa"}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "param", "message"),
    [
        ("POST", DATASETS, {"name": "qa", "content": '{"q": 1}\n{oops'}, 400, "content",
         "not a valid dataset: line 2: not valid JSON"),
        ("POST", DATASETS, {"name": "qa", "content": "\n\n"}, 400, "content",
         "the dataset has no items"),
        ("POST", DATASETS, {"name": "a b", "content": QA}, 400, "name", "not a dataset name"),
        ("POST", DATASETS, {"name": "qa"}, 400, "content", "The field 'content' is required"),
        ("GET", f"{DATASETS}/nope", None, 404, "name", "no dataset 'nope'"),
        ("GET", f"{DATASETS}/qa/versions/v9/content", None, 404, "version",
         "dataset 'qa' has no version 9 (its latest is v1)"),
        ("GET", f"{DATASETS}/qa/versions/first", None, 400, "ref", "'first' is not a version"),
        ("GET", f"{DATASETS}/qa/versions/1?limit=500", None, 400, "limit", "limit"),
    ],
)  # fmt: skip
async def test_bad_dataset_requests_are_refused_with_the_reason(
    stack: AdminStack,
    method: str,
    path: str,
    body: Any,
    status: int,
    param: str,
    message: str,
) -> None:
    assert (await stack.call("POST", DATASETS, json={"name": "qa", "content": QA})).status == 201
    reply = await stack.call(method, path, json=body)
    assert reply.status == status, reply.body
    assert reply.error["param"] == param
    assert message in reply.error["message"]
    listed = await stack.call("GET", DATASETS)
    assert [d["ref"] for d in listed.body["data"]] == ["qa@v1"]


async def test_apps_and_strangers_touch_no_dataset_or_run(stack: AdminStack) -> None:
    for method, path, body in (
        ("GET", DATASETS, None),
        ("POST", DATASETS, {"name": "qa", "content": QA}),
        ("GET", EVALS, None),
        ("POST", EVALS, summary("support@v1", "support@v2", long="better")),
    ):
        assert (await stack.call(method, path, role="app", json=body)).status == 403
        assert (await stack.call(method, path, role=None, json=body)).status == 401


async def test_runs_are_published_once_and_cited_by_label_moves(stack: AdminStack) -> None:
    for n in (1, 2, 3):
        reply = await stack.call("POST", "/admin/prompts", json={"source": PROMPT.format(n=n)})
        assert reply.status == 201
    put = "/admin/prompts/support/labels/production"
    assert (await stack.call("PUT", put, json={"version": 1})).status == 200

    worse = summary("support@v1", "support@v2", long="worse", f1="better")
    published = await stack.call("POST", EVALS, role="operator", json=worse)
    assert published.status == 201, published.body
    run_id = published.body["run"]["id"]
    assert published.body["run"]["baseline"] == ["support@v1"]
    assert published.body["run"]["published_by"] == f"key:{stack.key_id('operator')}"
    again = await stack.call("POST", EVALS, json=worse)
    assert (again.status, again.body["created"], again.body["run"]["id"]) == (200, False, run_id)

    refused = await stack.call("PUT", put, json={"version": 2, "evaluation": run_id})
    assert refused.status == 409
    assert refused.error["code"] == "evaluation_failed"
    assert refused.error["param"] == "evaluation"
    assert "significantly worse than the baseline support@production" in refused.error["message"]
    assert "long 0.9 → 0.5, n=40" in refused.error["message"]
    label = await stack.call("GET", "/admin/prompts/support")
    assert label.body["labels"][0]["targets"] == [{"version": 1, "weight": 1}]

    allowed = await stack.call(
        "PUT", put, json={"version": 2, "evaluation": run_id, "metrics": ["f1"], "note": "f1"}
    )
    assert allowed.status == 200, allowed.body
    assert allowed.body["label"]["targets"] == [{"version": 2, "weight": 1}]
    moves = await stack.call("GET", "/admin/prompts/support/history?label=production")
    assert moves.body["data"][-1]["note"] == (
        f"f1; evaluation {run_id}: support@v2 against support@v1: f1 better"
    )

    fine = summary("support@v2", "support@v3", long="no significant difference")
    other = (await stack.call("POST", EVALS, json=fine)).body["run"]["id"]
    stale = await stack.call("PUT", put, json={"version": 3, "evaluation": run_id})
    assert stale.status == 409
    assert "points at v2" in stale.error["message"]
    assert (await stack.call("PUT", put, json={"version": 3, "evaluation": other})).status == 200

    shown = await stack.call("GET", f"{EVALS}/{run_id}", role="operator")
    assert shown.body["summary"] == worse
    assert shown.body["candidates"] == ["support@v2"]
    listed = await stack.call("GET", f"{EVALS}?prompt=support&limit=5")
    assert {r["id"] for r in listed.body["data"]} == {run_id, other}
    assert (await stack.call("GET", f"{EVALS}?prompt=triage")).body["data"] == []
    audit = await stack.call("GET", "/admin/audit?limit=100")
    assert sum(1 for e in audit.body["data"] if e["action"] == "eval.publish") == 2


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "param", "message"),
    [
        ("POST", EVALS, {"format": "other/1", "gate": {}}, 400, "format",
         "not an evaluation summary"),
        ("POST", EVALS, {"format": "sluicegate-eval-summary/1"}, 400, "gate",
         "The field 'gate' is required"),
        ("POST", EVALS, {"format": "sluicegate-eval-summary/1", "gate": {"complete": 1}}, 400,
         "gate.complete", "must be true or false"),
        ("GET", f"{EVALS}/ev-0000000000000000", None, 404, "id", "has been published"),
        ("GET", f"{EVALS}/latest", None, 400, "id", "not an evaluation run id"),
        ("PUT", "/admin/prompts/support/labels/staging",
         {"version": 1, "evaluation": "ev-0000000000000000"}, 404, "evaluation",
         "no evaluation run 'ev-0000000000000000'"),
        ("PUT", "/admin/prompts/support/labels/staging", {"version": 1, "metrics": ["f1"]},
         400, None, "`metrics` choose what an `evaluation` is judged on"),
    ],
)  # fmt: skip
async def test_bad_evaluation_requests_are_refused_with_the_reason(
    stack: AdminStack,
    method: str,
    path: str,
    body: Any,
    status: int,
    param: str | None,
    message: str,
) -> None:
    await stack.call("POST", "/admin/prompts", json={"source": PROMPT.format(n=1)})
    reply = await stack.call(method, path, json=body)
    assert reply.status == status, reply.body
    assert reply.error["param"] == param
    assert message in reply.error["message"]
    assert (await stack.call("GET", EVALS)).body["data"] == []


async def test_the_openapi_document_describes_datasets_and_runs(stack: AdminStack) -> None:
    document = (await stack.call("GET", "/admin/openapi.json", role="operator")).body
    validate(document)
    paths = document["paths"]
    access = {
        (method, path): operation["x-sluicegate-access"]
        for path, item in paths.items()
        if path.startswith((DATASETS, EVALS))
        for method, operation in item.items()
    }
    assert access == {
        ("get", DATASETS): "read",
        ("post", DATASETS): "author",
        ("get", f"{DATASETS}/{{name}}"): "read",
        ("get", f"{DATASETS}/{{name}}/versions/{{ref}}"): "read",
        ("get", f"{DATASETS}/{{name}}/versions/{{ref}}/content"): "read",
        ("get", EVALS): "read",
        ("post", EVALS): "author",
        ("get", f"{EVALS}/{{id}}"): "read",
    }
    label = paths["/admin/prompts/{name}/labels/{label}"]["put"]
    assert "409" in label["responses"]
    schemas = document["components"]["schemas"]
    assert {"evaluation", "metrics"} <= set(schemas["LabelPut"]["properties"])
    assert schemas["EvalSummaryBody"]["additionalProperties"] is True
