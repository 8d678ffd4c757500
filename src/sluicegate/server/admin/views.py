"""Between the admin API's JSON models and the records the admin layer works with."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from typing import Any

from sluicegate.admin.keys import key_status
from sluicegate.core.blocklists import BlocklistRecord
from sluicegate.core.budget import DEFAULT_ALERT_AT, Budget, parse_budget
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.identity import KeyRecord, TeamRecord
from sluicegate.server.admin.schemas import (
    BlocklistSummaryView,
    BlocklistView,
    BudgetView,
    KeyLimitsView,
    KeyView,
    TeamLimitsView,
    TeamView,
)


def budget_view(budget: Budget | None) -> BudgetView | None:
    if budget is None:
        return None
    return BudgetView(
        amount_usd=budget.amount_usd, period=budget.period.value, alert_at=budget.alert_at
    )


def key_view(record: KeyRecord, now: datetime) -> KeyView:
    limits = record.limits
    return KeyView(
        key_id=record.key_id,
        name=record.name,
        team=record.team,
        role=record.role.value,
        models=sorted(record.models),
        limits=KeyLimitsView(
            tpm=limits.tpm, rpm=limits.rpm, max_concurrency=limits.max_concurrency
        ),
        budget=budget_view(record.budget),
        created_at=record.created_at,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
        status=key_status(record, now),
    )


def team_view(record: TeamRecord) -> TeamView:
    return TeamView(
        name=record.name,
        models=sorted(record.models),
        limits=TeamLimitsView(tpm=record.limits.tpm, rpm=record.limits.rpm),
        budget=budget_view(record.budget),
        created_at=record.created_at,
    )


def blocklist_view(record: BlocklistRecord) -> BlocklistView:
    return BlocklistView(
        name=record.name,
        description=record.description,
        terms=list(record.terms),
        patterns=list(record.patterns),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def blocklist_summary(record: BlocklistRecord) -> BlocklistSummaryView:
    """A list without its entries, for listings."""
    return BlocklistSummaryView(
        name=record.name,
        description=record.description,
        term_count=len(record.terms),
        pattern_count=len(record.patterns),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def budget_from(text: str, alert_at: float | None) -> Budget:
    """`50USD/month` (and an alert share) → a Budget; InvalidRequest naming `budget` else."""
    try:
        return parse_budget(text, DEFAULT_ALERT_AT if alert_at is None else alert_at)
    except ValueError as error:
        raise InvalidRequest(f"budget: {error}", param="budget") from None


def optional_budget(text: str | None, alert_at: float | None) -> Budget | None:
    """The budget of a whole record (a new key, a team put); an alert needs a budget."""
    if text is None:
        if alert_at is not None:
            raise InvalidRequest(
                "budget_alert_at needs a budget: give `budget` too", param="budget_alert_at"
            )
        return None
    return budget_from(text, alert_at)


def budget_patch(given: Set[str], text: str | None, alert_at: float | None) -> dict[str, Any]:
    """The budget part of a merge patch as `KeyChanges`/`TeamChanges` arguments: `budget`
    (a new one, or None to remove it) and/or `budget_alert_at` (a new threshold)."""
    if "budget_alert_at" in given and alert_at is None:
        raise InvalidRequest(
            "budget_alert_at cannot be removed; give a share from above 0 to 1 (0.8 = 80 %)",
            param="budget_alert_at",
        )
    changes: dict[str, Any] = {}
    if "budget" in given:
        changes["budget"] = None if text is None else budget_from(text, alert_at)
        if text is None and alert_at is not None:
            changes["budget_alert_at"] = alert_at  # refused by the changes: nothing to alert on
    elif alert_at is not None:
        changes["budget_alert_at"] = alert_at
    return changes
