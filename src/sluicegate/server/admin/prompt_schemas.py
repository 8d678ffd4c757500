"""The prompt registry's bodies and query strings in the admin API, as pydantic models (the
handlers and the OpenAPI document use the same classes, like `schemas`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from sluicegate.admin.prompt_refs import MAX_SPLIT, MAX_WEIGHT
from sluicegate.admin.prompts import MAX_MESSAGE_LENGTH, MAX_NOTE_LENGTH, MAX_SOURCE_CHARS
from sluicegate.server.admin.schemas import RequestModel, ResponseModel

REF_TEXT = (
    "A version (`3` or `v3`) or a label (`production`); a label that splits traffic is refused."
)


class LabelTargetView(ResponseModel):
    version: int
    weight: int = Field(description="Relative share of traffic (1 for a label on one version).")


class LabelView(ResponseModel):
    label: str
    targets: list[LabelTargetView] = Field(description="One version, or several for a split.")
    updated_at: datetime
    updated_by: str


class PromptSummaryView(ResponseModel):
    name: str
    latest: int = Field(description="The newest version's number.")
    labels: list[LabelView]
    updated_at: datetime = Field(description="The newest version or the last label move.")


class PromptList(ResponseModel):
    data: list[PromptSummaryView]


class VersionSummaryView(ResponseModel):
    name: str
    version: int
    ref: str = Field(description="`name@v3`, as usage records and feedback name it.")
    content_hash: str = Field(description="SHA-256 of the source (UTF-8), hex.")
    parent: int | None = Field(description="The version this one was pushed on top of.")
    author: str
    message: str
    created_at: datetime


class VersionView(VersionSummaryView):
    source: str = Field(description="The prompty file exactly as it was pushed.")
    labels: list[str] = Field(description="Labels of the prompt that point at this version.")
    latest: int = Field(description="The prompt's newest version number.")


class PromptView(ResponseModel):
    name: str
    latest: int
    labels: list[LabelView]
    versions: list[VersionSummaryView] = Field(description="Oldest first; without sources.")


class PromptPush(RequestModel):
    source: str = Field(
        max_length=MAX_SOURCE_CHARS, description="The prompty file's text (UTF-8), as is."
    )
    name: str | None = Field(
        default=None, description="The prompt's name; default: the front matter's `name`."
    )
    message: str = Field(
        default="", max_length=MAX_MESSAGE_LENGTH, description="What changed, and why."
    )


class PushedView(ResponseModel):
    created: bool = Field(
        description="False when the source is identical to the latest version: nothing stored."
    )
    version: VersionSummaryView = Field(description="The new version, or the identical one.")


class LabelTargetBody(RequestModel):
    version: int = Field(ge=1)
    weight: int = Field(default=1, ge=1, le=MAX_WEIGHT)


class LabelPut(RequestModel):
    """Exactly one of `version` and `targets`."""

    version: int | None = Field(default=None, ge=1, description="The one version to point at.")
    targets: list[LabelTargetBody] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SPLIT,
        description="A traffic split: versions with relative weights, each version once.",
    )
    note: str = Field(
        default="", max_length=MAX_NOTE_LENGTH, description="Why; kept in the label's history."
    )
    evaluation: str | None = Field(
        default=None,
        description="A published evaluation run (`ev-…`, see `/admin/evals`) that allows the "
        "move: complete, its baseline what the label points at now, a candidate that resolved "
        "to `version` and is significantly worse on no gated metric. Required for labels in "
        "`prompts.require_evaluation`.",
    )
    metrics: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="With `evaluation`: the metrics to gate on (default "
        "`prompts.gated_metrics`, else every metric of the run).",
    )

    @model_validator(mode="after")
    def _one_of(self) -> LabelPut:
        if (self.version is None) == (self.targets is None):
            raise ValueError("give either `version` or `targets` (a split), not both or neither")
        if self.metrics is not None and self.evaluation is None:
            raise ValueError("`metrics` choose what an `evaluation` is judged on: give both")
        return self


class LabelChangeView(ResponseModel):
    label: LabelView
    changed: bool = Field(description="False when the label pointed there already.")


class LabelMoveView(ResponseModel):
    label: str
    before: list[LabelTargetView] = Field(description="Empty when the move created the label.")
    after: list[LabelTargetView] = Field(description="Empty when the move removed the label.")
    actor: str
    at: datetime
    note: str


class LabelHistory(ResponseModel):
    data: list[LabelMoveView] = Field(description="Oldest first.")


class LabelDeleted(ResponseModel):
    name: str
    label: str
    deleted: Literal[True] = True


class HistoryQuery(RequestModel):
    label: str | None = Field(default=None, description="Only the moves of this label.")


class DiffQuery(RequestModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", description=REF_TEXT)
    to: str = Field(description=REF_TEXT)


class DiffView(ResponseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", description="The version compared from, as `name@v3`.")
    to: str
    diff: str = Field(description="A unified diff of front matter and template; empty if equal.")
