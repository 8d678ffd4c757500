"""Evaluation datasets' and runs' bodies and query strings in the admin API, as pydantic models
(the handlers and the OpenAPI document use the same classes, like `schemas`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from sluicegate.admin.datasets import MAX_DESCRIPTION_LENGTH, MAX_PREVIEW
from sluicegate.core.evaluations import MAX_RUNS_LISTED
from sluicegate.server.admin.schemas import RequestModel, ResponseModel

# --- datasets --------------------------------------------------------------------------------


class DatasetInfoView(ResponseModel):
    name: str
    version: int
    ref: str = Field(description="`name@v3`, as `sluicegate eval run --dataset` takes it.")
    items: int = Field(description="Lines that are evaluation items.")
    content_hash: str = Field(
        description="SHA-256 of the content (UTF-8), hex: the digest an evaluation run records "
        "for its dataset."
    )
    description: str
    author: str
    created_at: datetime


class DatasetList(ResponseModel):
    data: list[DatasetInfoView] = Field(description="The latest version of each dataset.")


class DatasetView(ResponseModel):
    name: str
    latest: int
    versions: list[DatasetInfoView] = Field(description="Oldest first; without content.")


class DatasetPush(RequestModel):
    name: str = Field(description="The dataset's name (letters, digits, `.`, `_`, `-`).")
    content: str = Field(
        description="The JSONL text (UTF-8), as is: one evaluation item per line "
        "(see docs/evals.md)."
    )
    description: str = Field(default="", max_length=MAX_DESCRIPTION_LENGTH)


class DatasetPushedView(ResponseModel):
    created: bool = Field(
        description="False when the content is identical to the latest version: nothing stored."
    )
    skipped: int = Field(description="Feedback ratings a run cannot replay (not captured).")
    version: DatasetInfoView = Field(description="The new version, or the identical one.")


class PreviewQuery(RequestModel):
    limit: int = Field(default=5, ge=0, le=MAX_PREVIEW, description="How many items to show.")


class PreviewLineView(ResponseModel):
    line: int = Field(description="The line's number in the file.")
    value: dict[str, Any] = Field(description="The line's JSON object, as written.")


class DatasetVersionView(DatasetInfoView):
    latest: int = Field(description="The dataset's newest version number.")
    preview: list[PreviewLineView] = Field(description="The first `limit` items.")


class DatasetContentView(DatasetInfoView):
    content: str = Field(description="The JSONL text exactly as it was pushed.")


# --- evaluation runs -------------------------------------------------------------------------


class EvalSummaryBody(RequestModel):
    """A run's `summary.json`, as `sluicegate eval run` wrote it."""

    model_config = ConfigDict(extra="allow")

    format: str = Field(description="`sluicegate-eval-summary/1`.")
    gate: dict[str, Any] = Field(
        description="`complete`, `alpha`, `baseline` {`spec`, `resolved_versions`} and "
        "`candidates` [{`spec`, `resolved_versions`, `verdicts`, …}]."
    )


class EvalRunInfoView(ResponseModel):
    id: str = Field(description="`ev-` and 16 hex digits, derived from the summary.")
    prompts: list[str] = Field(description="The registered prompts the run compared.")
    baseline: list[str] = Field(description="The versions that answered for the baseline.")
    candidates: list[str] = Field(description="The versions that answered for the candidates.")
    complete: bool = Field(description="Every item answered by every prompt.")
    published_by: str
    published_at: datetime


class EvalPublishedView(ResponseModel):
    created: bool = Field(description="False when the summary was published before.")
    run: EvalRunInfoView


class EvalRunView(EvalRunInfoView):
    summary: dict[str, Any] = Field(description="The summary as published.")


class EvalRunList(ResponseModel):
    data: list[EvalRunInfoView] = Field(description="Newest first.")


class EvalRunQuery(RequestModel):
    prompt: str | None = Field(default=None, description="Only the runs that compared it.")
    limit: int = Field(default=100, ge=1, le=MAX_RUNS_LISTED)
