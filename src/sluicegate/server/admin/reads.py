"""What the admin API lets operators read: backends, quotas, usage and the audit log."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from sluicegate.admin.keys import KeyAdmin
from sluicegate.admin.usage_report import (
    parse_report_range as parse_range,
)
from sluicegate.admin.usage_report import (
    ptu_tpm_of,
    report_as_dict,
    usage_report,
)
from sluicegate.config.settings import CATCH_ALL, GatewayConfig
from sluicegate.core.errors import InvalidRequest, NotFound
from sluicegate.core.identity import Limits, TeamRecord, TeamStore
from sluicegate.core.ledger import AuditLog, LedgerStore
from sluicegate.core.quota import QuotaLimit, QuotaStore, Scope
from sluicegate.routing.router import Router
from sluicegate.server.admin.endpoints import Answer, Call, Endpoint
from sluicegate.server.admin.schemas import (
    AuditEntryView,
    AuditList,
    AuditQuery,
    BackendList,
    BackendView,
    LimitSource,
    PoolPlaceView,
    QuotaLimitsView,
    QuotaView,
    RemainingView,
    UsageQuery,
    UsageReportView,
    WindowView,
)

Now = Callable[[], datetime]


class BackendEndpoints:
    """Each configured backend, the pools it serves in, and whether it is cooling down."""

    def __init__(self, config: GatewayConfig, router: Router) -> None:
        self._config = config
        self._router = router

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "GET", "/admin/backends", self.list, "Backends and their cool-downs", "read",
                "backends", BackendList,
                description="Cool-downs are this replica's view: each replica keeps its own.",
            )
        ]  # fmt: skip

    async def list(self, call: Call) -> Answer:
        places: dict[str, list[PoolPlaceView]] = {}
        cooling: dict[str, float] = {}
        for pool in self._router.pools().values():
            for member in pool.state():
                places.setdefault(member.name, []).append(
                    PoolPlaceView(pool=pool.name, priority=member.priority, weight=member.weight)
                )
                cooling[member.name] = max(cooling.get(member.name, 0.0), member.cooling_for_s)
        views = [
            BackendView(
                name=backend.name,
                kind=backend.kind,
                api=backend.api,
                region=backend.region,
                priority=backend.priority,
                deployment=backend.deployment,
                model=backend.model,
                pools=places.get(backend.name, []),
                cooling_down=cooling.get(backend.name, 0.0) > 0,
                cooling_for_s=round(cooling.get(backend.name, 0.0), 3),
            )
            for backend in self._config.backends
        ]
        return Answer(BackendList(data=views))


class QuotaEndpoints:
    """The limits that apply to a key, team or model, and what its current window holds."""

    def __init__(
        self,
        config: GatewayConfig,
        quotas: QuotaStore,
        keys: KeyAdmin | None,
        managed_teams: TeamStore | None,
        configured_teams: Mapping[str, TeamRecord],
    ) -> None:
        self._config = config
        self._quotas = quotas
        self._keys = keys
        self._managed = managed_teams
        self._configured = configured_teams

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "GET", "/admin/quotas/{scope}/{subject}", self.show,
                "A key's, team's or model's limits and current usage", "read", "quotas",
                QuotaView, refusals=(404,),
                description="`scope` is key, team or model. Usage is what the sliding window "
                "(`quotas.window_seconds`) holds now; only subjects with a limit are counted.",
            )
        ]  # fmt: skip

    async def show(self, call: Call) -> Answer:
        scope_text, subject = call.path("scope"), call.path("subject")
        try:
            scope = Scope(scope_text)
        except ValueError:
            raise NotFound(
                f"no quota scope {scope_text[:40]!r}; use key, team or model", param="scope"
            ) from None
        limits, source = await self._limits(scope, subject)
        used = await self._quotas.usage(QuotaLimit(scope, subject, limits.tpm, limits.rpm))
        view = QuotaView(
            scope=scope.value,
            subject=subject,
            window_seconds=self._quotas.window_s,
            limits=QuotaLimitsView(
                tpm=limits.tpm, rpm=limits.rpm, max_concurrency=limits.max_concurrency
            ),
            source=source,
            used=WindowView(tokens=used.tokens, requests=used.requests),
            remaining=RemainingView(
                tokens=_left(limits.tpm, used.tokens), requests=_left(limits.rpm, used.requests)
            ),
        )
        return Answer(view)

    async def _limits(self, scope: Scope, subject: str) -> tuple[Limits, LimitSource | None]:
        if scope is Scope.KEY:
            if self._keys is None:
                raise NotFound("keys are not managed by this gateway (auth is off)", param="scope")
            limits = (await self._keys.get(subject)).limits
            return limits, "key" if _any(limits) else None
        if scope is Scope.TEAM:
            managed = await self._managed.get(subject) if self._managed is not None else None
            if managed is not None:
                return Limits(managed.limits.tpm, managed.limits.rpm), "managed"
            configured = self._configured.get(subject)
            if configured is not None and _any(configured.limits):
                return Limits(configured.limits.tpm, configured.limits.rpm), "config"
            return Limits(), None
        if subject not in self._config.models or subject == CATCH_ALL:
            routes = ", ".join(sorted(self._config.models))
            raise NotFound(f"no model route {subject[:60]!r}; routes: {routes}", param="subject")
        rates = self._config.quotas.models.get(subject)
        if rates is None or (rates.tpm is None and rates.rpm is None):
            return Limits(), None
        return Limits(rates.tpm, rates.rpm), "config"


def _any(limits: Limits) -> bool:
    return limits.tpm is not None or limits.rpm is not None or limits.max_concurrency is not None


def _left(limit: int | None, used: int) -> int | None:
    return None if limit is None else max(0, limit - used)


class UsageEndpoints:
    """The chargeback report from the usage ledger."""

    def __init__(self, config: GatewayConfig, ledger: LedgerStore, now: Now) -> None:
        self._ledger = ledger
        self._ptu_tpm = ptu_tpm_of(config)
        self._now = now

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "GET", "/admin/usage", self.report, "Usage and cost per team, key, model or "
                "backend", "read", "usage", UsageReportView, query=UsageQuery,
                description="Sums of the usage ledger over [from, to); each group's share of "
                "the PTU capacity when PTU backends declare their `tpm`.",
            )
        ]  # fmt: skip

    async def report(self, call: Call) -> Answer:
        query = call.query_as(UsageQuery)
        since, until = parse_range(query.from_, query.to, self._now())
        report = await usage_report(self._ledger, query.by, since, until, ptu_tpm=self._ptu_tpm)
        return Answer(UsageReportView.model_validate(report_as_dict(report)))


class AuditEndpoints:
    """The append-only audit log, oldest first."""

    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "GET", "/admin/audit", self.list, "Who changed what, and when", "read", "audit",
                AuditList, query=AuditQuery,
                description="Entries at or after `since`, oldest first, at most `limit`. To "
                "page on, ask again with `since` set to the last entry's `at` and skip the ids "
                "already seen.",
            )
        ]  # fmt: skip

    async def list(self, call: Call) -> Answer:
        query = call.query_as(AuditQuery)
        since = query.since
        if since is not None and since.utcoffset() is None:
            since = since.replace(tzinfo=UTC)
        try:
            entries = await self._audit.list(since, query.limit)
        except ValueError as error:
            raise InvalidRequest(str(error), param="since") from None
        return Answer(
            AuditList(
                data=[
                    AuditEntryView(
                        id=entry.id,
                        at=entry.at,
                        actor=entry.actor,
                        action=entry.action,
                        target=entry.target,
                        details=dict(entry.details),
                    )
                    for entry in entries
                ]
            )
        )
