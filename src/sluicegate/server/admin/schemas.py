"""The admin API's request and response bodies and query strings, as pydantic models.

Handlers parse every body and query string through these models and serialise every answer
through them, and the OpenAPI document is generated from the same classes, so the document
cannot drift from what the server does. Requests refuse unknown fields; a `null` in a PATCH
removes that setting (JSON merge patch), an absent field keeps it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sluicegate.admin.blocklist_specs import (
    MAX_DESCRIPTION_LENGTH,
    MAX_PATTERN_LENGTH,
    MAX_PATTERNS,
    MAX_TERM_LENGTH,
    MAX_TERMS,
)
from sluicegate.admin.changes import MAX_LIMIT
from sluicegate.admin.key_specs import MAX_TEXT_LENGTH
from sluicegate.admin.keys import KeyState

RoleName = Literal["admin", "operator", "app"]
PeriodName = Literal["day", "week", "month"]
LimitSource = Literal["key", "managed", "config"]
"""Where a quota's limits come from: the key itself, a managed team, or the config."""
BUDGET_TEXT = (
    "An amount in USD per calendar period (UTC): `50USD/month`, `5USD/day`, `200USD/week`."
)
BUDGET_EXAMPLES = ["50USD/month"]


class RequestModel(BaseModel):
    """A body or query string a caller sends: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    """A body the server answers with; extra fields are refused so a handler that builds
    more (or other) than the document promises fails its tests instead of drifting."""

    model_config = ConfigDict(extra="forbid")


# --- shared pieces ---------------------------------------------------------------------------


class BudgetView(ResponseModel):
    amount_usd: float
    period: PeriodName
    alert_at: float = Field(description="Share of the budget at which an alert is logged.")


class KeyLimitsView(ResponseModel):
    tpm: int | None
    rpm: int | None
    max_concurrency: int | None


class TeamLimitsView(ResponseModel):
    tpm: int | None
    rpm: int | None


class Deleted(ResponseModel):
    name: str
    deleted: Literal[True] = True


# --- keys ------------------------------------------------------------------------------------


class KeyView(ResponseModel):
    """A key as the API shows it: never the key itself nor its hash."""

    key_id: str
    name: str
    team: str
    role: RoleName
    models: list[str] = Field(description="Empty: every model the key's team may call.")
    limits: KeyLimitsView
    budget: BudgetView | None
    created_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    status: KeyState


class KeyList(ResponseModel):
    data: list[KeyView]


class IssuedKeyView(ResponseModel):
    key: str = Field(
        description="The key. This is the only time it is shown; only its hash is stored."
    )
    record: KeyView


class RotatedKeyView(ResponseModel):
    key: str = Field(
        description="The new key. This is the only time it is shown; only its hash is stored."
    )
    record: KeyView
    replaced: KeyView = Field(description="The old key, with the time it stops working.")


class KeyCreate(RequestModel):
    name: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH, description="What it is for.")
    team: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    role: RoleName = "app"
    models: list[str] = Field(
        default_factory=list, description="Models it may call; empty: all its team may call."
    )
    tpm: int | None = Field(default=None, ge=1, le=MAX_LIMIT, description="Tokens per minute.")
    rpm: int | None = Field(default=None, ge=1, le=MAX_LIMIT, description="Requests per minute.")
    max_concurrency: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    budget: str | None = Field(default=None, description=BUDGET_TEXT, examples=BUDGET_EXAMPLES)
    budget_alert_at: float | None = Field(default=None, gt=0, le=1)
    expires_at: datetime | None = Field(default=None, description="UTC when no zone is given.")


class KeyUpdate(RequestModel):
    """Only the fields present change; `null` removes a limit, the budget or the expiry
    (`name`, `team` and `role` cannot be removed)."""

    name: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_LENGTH)
    team: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_LENGTH)
    role: RoleName | None = None
    models: list[str] | None = Field(default=None, description="`[]` or null: every model.")
    tpm: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    rpm: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    max_concurrency: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    budget: str | None = Field(default=None, description=BUDGET_TEXT, examples=BUDGET_EXAMPLES)
    budget_alert_at: float | None = Field(default=None, gt=0, le=1)
    expires_at: datetime | None = None


class KeyRotate(RequestModel):
    grace_seconds: float = Field(
        default=0, ge=0, le=366 * 86400, description="How long the old key keeps working."
    )
    expires_at: datetime | None = Field(
        default=None, description="Expiry of the new key; by default the old key's lifetime."
    )


class KeyRevoke(RequestModel):
    """Nothing to say: an empty body or `{}`."""


class KeyListQuery(RequestModel):
    team: str | None = Field(default=None, description="Only the keys of this team.")


# --- teams -----------------------------------------------------------------------------------


class TeamView(ResponseModel):
    name: str
    models: list[str] = Field(description="Empty: every model.")
    limits: TeamLimitsView
    budget: BudgetView | None
    created_at: datetime | None


class TeamList(ResponseModel):
    data: list[TeamView]


class TeamPut(RequestModel):
    """The whole team; what is left out is none (no limit, no budget, every model)."""

    models: list[str] = Field(default_factory=list, description="Empty or `*`: every model.")
    tpm: int | None = Field(default=None, ge=0, le=MAX_LIMIT)
    rpm: int | None = Field(default=None, ge=0, le=MAX_LIMIT)
    budget: str | None = Field(default=None, description=BUDGET_TEXT, examples=BUDGET_EXAMPLES)
    budget_alert_at: float | None = Field(default=None, gt=0, le=1)


class TeamPatch(RequestModel):
    """Only the fields present change; `null` removes a limit or the budget."""

    models: list[str] | None = Field(default=None, description="`[]` or null: every model.")
    tpm: int | None = Field(default=None, ge=0, le=MAX_LIMIT)
    rpm: int | None = Field(default=None, ge=0, le=MAX_LIMIT)
    budget: str | None = Field(default=None, description=BUDGET_TEXT, examples=BUDGET_EXAMPLES)
    budget_alert_at: float | None = Field(default=None, gt=0, le=1)


class TeamDeleteQuery(RequestModel):
    force: bool = Field(default=False, description="Delete even while keys of the team still work.")


# --- blocklists ------------------------------------------------------------------------------

Term = Annotated[str, StringConstraints(max_length=MAX_TERM_LENGTH)]
Pattern = Annotated[str, StringConstraints(max_length=MAX_PATTERN_LENGTH)]
TERMS_TEXT = (
    "Words or phrases, matched case-insensitively on word boundaries; kept without the spaces "
    "around them, each once."
)
PATTERNS_TEXT = (
    "Regular expressions (Python syntax), each once; matched on the text folded as terms are "
    "(lower case), so written in lower case."
)
DESCRIPTION_TEXT = "What the list is for; one line."


class BlocklistView(ResponseModel):
    name: str
    description: str
    terms: list[str] = Field(description=TERMS_TEXT)
    patterns: list[str] = Field(description=PATTERNS_TEXT)
    created_at: datetime | None
    updated_at: datetime | None


class BlocklistSummaryView(ResponseModel):
    """A list without its entries: lists may be long, and their entries sensitive."""

    name: str
    description: str
    term_count: int
    pattern_count: int
    created_at: datetime | None
    updated_at: datetime | None


class BlocklistList(ResponseModel):
    data: list[BlocklistSummaryView]


class BlocklistPut(RequestModel):
    """The whole list; what is left out is empty."""

    terms: list[Term] = Field(default_factory=list, max_length=MAX_TERMS, description=TERMS_TEXT)
    patterns: list[Pattern] = Field(
        default_factory=list, max_length=MAX_PATTERNS, description=PATTERNS_TEXT
    )
    description: str = Field(
        default="", max_length=MAX_DESCRIPTION_LENGTH, description=DESCRIPTION_TEXT
    )


class BlocklistPatch(RequestModel):
    """Entries to add or remove, and a new description; what is left out stays as it is.
    Adding an entry the list holds, or removing one it does not, changes nothing."""

    add_terms: list[Term] | None = Field(default=None, max_length=MAX_TERMS)
    remove_terms: list[Term] | None = Field(default=None, max_length=MAX_TERMS)
    add_patterns: list[Pattern] | None = Field(default=None, max_length=MAX_PATTERNS)
    remove_patterns: list[Pattern] | None = Field(default=None, max_length=MAX_PATTERNS)
    description: str | None = Field(
        default=None,
        max_length=MAX_DESCRIPTION_LENGTH,
        description='`""` or null clears it.',
    )


# --- quotas, usage, backends, audit ----------------------------------------------------------


class QuotaLimitsView(ResponseModel):
    tpm: int | None
    rpm: int | None
    max_concurrency: int | None = Field(description="Keys only: requests in flight at once.")


class WindowView(ResponseModel):
    tokens: int
    requests: int


class RemainingView(ResponseModel):
    tokens: int | None = Field(description="None when there is no limit of this kind.")
    requests: int | None


class QuotaView(ResponseModel):
    scope: Literal["key", "team", "model"]
    subject: str
    window_seconds: float
    limits: QuotaLimitsView
    source: LimitSource | None = Field(
        description="Where the limits come from; None when nothing limits the subject."
    )
    used: WindowView = Field(description="What the current sliding window holds.")
    remaining: RemainingView


class UsageQuery(RequestModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    by: Literal["team", "key", "model", "backend"] = "team"
    from_: str | None = Field(
        default=None,
        alias="from",
        description="A date, an ISO 8601 time, `now`, `today` or `yesterday`; "
        "default: the start of this month (UTC).",
    )
    to: str | None = Field(default=None, description="Exclusive; default: now.")


class UsageRowView(ResponseModel):
    group: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    total_tokens: int
    cost_usd: float
    ptu_tokens: int
    ptu_share: float | None


class UsageReportView(ResponseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    by: Literal["team", "key", "model", "backend"]
    from_: str = Field(alias="from")
    to: str
    ptu_capacity_tokens: int | None
    rows: list[UsageRowView]
    total: UsageRowView


class PoolPlaceView(ResponseModel):
    pool: str
    priority: int
    weight: float


class BackendView(ResponseModel):
    name: str
    kind: Literal["ptu", "paygo"]
    api: Literal["azure", "openai"]
    region: str
    priority: int = Field(description="The backend's own priority; pools may override it.")
    deployment: str | None
    model: str | None
    pools: list[PoolPlaceView]
    cooling_down: bool
    cooling_for_s: float = Field(description="Seconds until its cool-down ends; 0 if none.")


class BackendList(ResponseModel):
    data: list[BackendView]


class AuditQuery(RequestModel):
    since: datetime | None = Field(default=None, description="Entries at or after this time.")
    limit: int = Field(default=100, ge=1, le=1000)


class AuditEntryView(ResponseModel):
    id: int | None
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


class AuditList(ResponseModel):
    data: list[AuditEntryView]


# --- errors ----------------------------------------------------------------------------------


class ErrorDetail(ResponseModel):
    message: str
    type: str
    param: str | None = Field(description="The field or parameter at fault, when there is one.")
    code: str | None


class ErrorBody(ResponseModel):
    """OpenAI's error shape, which every refusal of the admin API uses."""

    error: ErrorDetail
