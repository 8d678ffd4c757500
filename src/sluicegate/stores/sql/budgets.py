"""How a `Budget` is kept in the three `budget_*` columns that keys and teams share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping

from sluicegate.core.budget import DEFAULT_ALERT_AT, Budget, BudgetPeriod


def budget_columns(budget: Budget | None) -> dict[str, Any]:
    if budget is None:
        return {"budget_usd": None, "budget_period": None, "budget_alert_at": None}
    return {
        "budget_usd": budget.amount_usd,
        "budget_period": budget.period.value,
        "budget_alert_at": budget.alert_at,
    }


def budget_of(row: RowMapping) -> Budget | None:
    amount, period = row["budget_usd"], row["budget_period"]
    if amount is None or period is None:
        return None
    alert_at = row["budget_alert_at"]
    return Budget(
        float(amount),
        BudgetPeriod(period),
        alert_at=float(alert_at) if alert_at is not None else DEFAULT_ALERT_AT,
    )
