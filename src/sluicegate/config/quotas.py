"""Settings for token and request quotas: per key (on the key itself), per team and per model.

Per-key limits live with the key (`sluicegate keys …`, the admin API); teams and models get
theirs here. The tightest applicable limit wins.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sluicegate.config.strict import Strict


class RateLimits(Strict):
    tpm: int | None = Field(default=None, ge=0)
    """Tokens (prompt + completion) in any 60-second window."""
    rpm: int | None = Field(default=None, ge=0)
    """Requests in any 60-second window."""


class BudgetSettings(Strict):
    amount_usd: float = Field(ge=0, allow_inf_nan=False)
    period: Literal["day", "week", "month"] = "month"
    """Calendar-aligned in UTC: a day from 00:00, a week from Monday, a month from the 1st."""
    alert_at: float = Field(default=0.8, gt=0, le=1)
    """Share of the budget at which a warning is logged (once per period and replica)."""


class TeamQuota(RateLimits):
    budget: BudgetSettings | None = None
    """Spend the team's keys and tokens share; a request that could exceed it is refused."""


class QuotaSettings(Strict):
    mode: Literal["enforce", "shadow"] = "enforce"
    """`shadow` counts and logs what it would refuse, and refuses nothing."""
    window_seconds: float = Field(default=60.0, ge=1, le=3600)
    """The sliding window TPM and RPM are counted over: any `window_seconds`-long span holds
    at most the limit. Keep 60 unless the limits are meant per another span."""
    default_max_tokens: int = Field(default=1024, ge=1)
    """Completion tokens reserved for a request that does not set max_tokens; reconciled to the
    real usage when the reply ends."""
    teams: dict[str, TeamQuota] = Field(default_factory=dict)
    """Keyed by team name. A team managed with `sluicegate teams` or the admin API replaces its
    entry here as a whole."""
    models: dict[str, RateLimits] = Field(default_factory=dict)
    """Keyed by model route (a key of `models`); a limit for every caller of that route."""
    redis_url: str | None = None
    """Shared counters for every replica; `SLUICEGATE_REDIS_URL` overrides it. Unset: counters
    live in this process."""
    redis_failure_mode: Literal["fail_open", "fail_closed"] = "fail_open"
    """While Redis is unreachable: admit without counting (backends still enforce their own
    limits and routing spills over on their 429s), or refuse with 503."""
    redis_timeout_seconds: float = Field(default=0.25, gt=0, le=10)
    redis_key_prefix: str = Field(default="sluicegate", pattern=r"^[A-Za-z0-9_.:-]+$")
    """Separates the counters of gateways that share one Redis but not their limits."""
