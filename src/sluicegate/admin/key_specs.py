"""What a caller asks of a key: a new key (`KeySpec`) or some changes to one (`KeyChanges`).

Both check their fields when they are made, so bad input is refused before anything is read or
written, with an `InvalidRequest` that names the field (`param`), whichever interface sent it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from sluicegate.admin.changes import KEEP, MAX_LIMIT, Keep
from sluicegate.core.budget import Budget
from sluicegate.core.errors import InvalidRequest
from sluicegate.core.identity import Role
from sluicegate.policies.api_keys import KEY_PREFIX

MAX_TEXT_LENGTH = 200
_MODEL = re.compile(r"^[^\s,]+$")


# --- checking what a caller asks for ------------------------------------------------------------


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_text(field: str, value: object) -> str:
    """A name or team: printable, not blank, at most 200 characters; kept without the spaces
    around it."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or not text.isprintable() or len(text) > MAX_TEXT_LENGTH:
        raise InvalidRequest(
            f"{field} must be printable text of 1 to {MAX_TEXT_LENGTH} characters, "
            f"not {_shown(value)}",
            param=field,
        )
    return text


def check_models(models: object) -> frozenset[str]:
    """Model names (routes or aliases); empty means every model the team may call."""
    if isinstance(models, str | bytes) or not isinstance(models, Iterable):
        raise InvalidRequest(
            "models must be a list of model names (empty: every model)", param="models"
        )
    names = frozenset(models)
    for model in names:
        if not isinstance(model, str) or not _MODEL.match(model):
            raise InvalidRequest(
                f"models: {_shown(model)} is not a model name (no spaces or commas)",
                param="models",
            )
    return names


def check_limit(field: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise InvalidRequest(
            f"{field} must be a whole number from 1 to {MAX_LIMIT} (or none for no limit), "
            f"not {_shown(value)}",
            param=field,
        )
    return value


def check_budget(budget: object) -> Budget | None:
    if budget is None:
        return None
    if not isinstance(budget, Budget) or not math.isfinite(budget.amount_usd):
        raise InvalidRequest(
            f"budget must be a finite amount in USD per day, week or month, not {_shown(budget)}",
            param="budget",
        )
    return budget


def check_alert_at(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise InvalidRequest(
            f"budget_alert_at is the share of the budget spent when an alert is raised, "
            f"above 0 and at most 1 (0.8 = 80 %), not {_shown(value)}",
            param="budget_alert_at",
        )
    return float(value)


def check_expiry(value: object) -> datetime | None:
    """A moment (UTC when it names no zone); whether it lies ahead is checked when used."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidRequest(
            f"expires_at must be a date and time, not {_shown(value)}", param="expires_at"
        )
    return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)


def check_key_id(key_id: str) -> str:
    """A key id as `list` shows it; a whole key pasted in its place is refused unechoed."""
    if key_id.startswith(KEY_PREFIX):
        raise InvalidRequest(
            "that is a key, not a key id: give the 12-hex-digit id the key list shows "
            "(a key is never needed here)",
            param="key_id",
        )
    return key_id.strip()


@dataclass(frozen=True, slots=True)
class KeySpec:
    """A new key as a caller asks for it; checked when made (`InvalidRequest`).

    An empty `models` allows every model the key's team may call; None for a limit, the
    budget or the expiry means none."""

    name: str
    team: str
    role: Role = Role.APP
    models: frozenset[str] = frozenset()
    tpm: int | None = None
    rpm: int | None = None
    max_concurrency: int | None = None
    budget: Budget | None = None
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", check_text("name", self.name))
        object.__setattr__(self, "team", check_text("team", self.team))
        object.__setattr__(self, "role", _check_role(self.role))
        object.__setattr__(self, "models", check_models(self.models))
        for field in ("tpm", "rpm", "max_concurrency"):
            check_limit(field, getattr(self, field))
        check_budget(self.budget)
        object.__setattr__(self, "expires_at", check_expiry(self.expires_at))


@dataclass(frozen=True, slots=True)
class KeyChanges:
    """Some fields of a key to change; checked when made (`InvalidRequest`).

    Every field defaults to `KEEP`. To remove a setting give the value that means "none":
    `tpm=None` (likewise `rpm`, `max_concurrency`, `budget`, `expires_at`) and `models=
    frozenset()` (every model). `budget_alert_at` changes the alert threshold of the budget
    the key ends up with. This maps one to one onto a JSON merge patch: an absent member is
    `KEEP`, `null` removes.
    """

    name: str | Keep = KEEP
    team: str | Keep = KEEP
    role: Role | Keep = KEEP
    models: frozenset[str] | Keep = KEEP
    tpm: int | Keep | None = KEEP
    rpm: int | Keep | None = KEEP
    max_concurrency: int | Keep | None = KEEP
    budget: Budget | Keep | None = KEEP
    budget_alert_at: float | Keep = KEEP
    expires_at: datetime | Keep | None = KEEP

    def __post_init__(self) -> None:
        if self.name is not KEEP:
            object.__setattr__(self, "name", check_text("name", self.name))
        if self.team is not KEEP:
            object.__setattr__(self, "team", check_text("team", self.team))
        if self.role is not KEEP:
            object.__setattr__(self, "role", _check_role(self.role))
        if self.models is not KEEP:
            object.__setattr__(self, "models", check_models(self.models))
        for field in ("tpm", "rpm", "max_concurrency"):
            value = getattr(self, field)
            if value is not KEEP:
                check_limit(field, value)
        if self.budget is not KEEP:
            check_budget(self.budget)
        if self.budget_alert_at is not KEEP:
            object.__setattr__(self, "budget_alert_at", check_alert_at(self.budget_alert_at))
            if self.budget is None:
                raise InvalidRequest(
                    "budget_alert_at needs a budget, and this change removes it",
                    param="budget_alert_at",
                )
        if self.expires_at is not KEEP:
            object.__setattr__(self, "expires_at", check_expiry(self.expires_at))

    def given(self) -> tuple[str, ...]:
        """The names of the fields this change touches, in declaration order."""
        return tuple(f.name for f in fields(self) if getattr(self, f.name) is not KEEP)


def _check_role(role: object) -> Role:
    try:
        return Role(role if isinstance(role, str) else "")
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidRequest(
            f"role must be one of {roles}, not {_shown(role)}", param="role"
        ) from None
