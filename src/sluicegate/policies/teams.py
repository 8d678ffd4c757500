"""Where a caller's team is looked up: managed teams first, then the config.

A team managed with `sluicegate teams` or the admin API replaces the config's entries for that
team (`auth.teams.<name>` and `quotas.teams.<name>`) as a whole; a team only in config keeps
working. Lookups are cached for at most a second, like keys, so a change reaches every replica
within that second. When the store cannot be read, the last known record (else the config's)
is used and the failure logged: a database hiccup must not lift a team's restrictions, nor
refuse every call of a team the key cache still accepts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from sluicegate.config.auth import ALL_MODELS, AuthSettings
from sluicegate.config.quotas import QuotaSettings
from sluicegate.core.budget import Budget, BudgetPeriod
from sluicegate.core.clock import Clock
from sluicegate.core.identity import Limits, TeamRecord, TeamStore

log = logging.getLogger("sluicegate.teams")

MAX_TTL_S = 1.0


class TeamDirectory:
    __slots__ = ("_cache", "_clock", "_configured", "_lookup_timeout", "_store", "_ttl")

    def __init__(
        self,
        configured: Mapping[str, TeamRecord],
        store: TeamStore | None,
        clock: Clock,
        *,
        ttl: float = MAX_TTL_S,
        lookup_timeout: float = 2.0,
    ) -> None:
        if not 0 <= ttl <= MAX_TTL_S:
            raise ValueError(f"ttl must be between 0 and {MAX_TTL_S} s, not {ttl}")
        self._configured = dict(configured)
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._lookup_timeout = lookup_timeout
        self._cache: dict[str, tuple[float, TeamRecord | None]] = {}

    async def get(self, name: str) -> TeamRecord | None:
        """The team's record, or None when neither the store nor the config knows it."""
        if self._store is None:
            return self._configured.get(name)
        now = self._clock.now()
        cached = self._cache.get(name)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            async with asyncio.timeout(self._lookup_timeout):
                managed = await self._store.get(name)
        except Exception as error:
            log.warning(
                "cannot read team %r (%s); using the last known", name, type(error).__name__
            )
            fallback = cached[1] if cached is not None else self._configured.get(name)
            self._cache[name] = (now + self._ttl, fallback)  # retried after the ttl, not per call
            return fallback
        record = managed if managed is not None else self._configured.get(name)
        if len(self._cache) >= 10_000:
            self._cache.clear()
        self._cache[name] = (now + self._ttl, record)
        return record

    def invalidate(self, name: str | None = None) -> None:
        """Forget cached lookups now (after a change on this replica)."""
        if name is None:
            self._cache.clear()
        else:
            self._cache.pop(name, None)


def configured_teams(
    auth: AuthSettings, quotas: QuotaSettings | None = None
) -> dict[str, TeamRecord]:
    """Teams as the config describes them: allow-lists from `auth.teams`, limits and budgets
    from `quotas.teams`."""
    quota_teams = quotas.teams if quotas is not None else {}
    names = set(auth.teams) | set(quota_teams)
    teams = {}
    for name in sorted(names):
        access = auth.teams.get(name)
        models = frozenset(access.models) if access is not None else frozenset()
        if ALL_MODELS in models:
            models = frozenset()
        quota = quota_teams.get(name)
        limits, budget = Limits(), None
        if quota is not None:
            limits = Limits(tpm=quota.tpm, rpm=quota.rpm)
            if quota.budget is not None:
                budget = Budget(
                    quota.budget.amount_usd,
                    BudgetPeriod(quota.budget.period),
                    alert_at=quota.budget.alert_at,
                )
        teams[name] = TeamRecord(name, models, limits, budget)
    return teams
