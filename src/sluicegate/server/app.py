"""The composition root: the only place that builds concrete objects and wires them."""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from opentelemetry.trace import TracerProvider
from sqlalchemy.engine import make_url

from sluicegate.backends.credentials import CredentialProvider, credentials_for
from sluicegate.backends.http import HttpBackend
from sluicegate.config.credentials import ApiKeyAuth, BearerAuth, EntraAuth, NoAuth
from sluicegate.config.safety_remote import SubscriptionKeyAuth
from sluicegate.config.settings import GatewayConfig
from sluicegate.core.backend import Backend
from sluicegate.core.budget import BudgetStore
from sluicegate.core.clock import Clock, SystemClock
from sluicegate.core.identity import KeyStore
from sluicegate.core.policy import Policy
from sluicegate.core.quota import FailureMode, QuotaStore
from sluicegate.policies.auth import build_auth_policy
from sluicegate.policies.budget import BudgetPolicy
from sluicegate.policies.capture import CapturePolicy, CaptureSelection
from sluicegate.policies.feedback_header import FeedbackTokenPolicy
from sluicegate.policies.feedback_tokens import FeedbackTokens
from sluicegate.policies.pricing import Pricer
from sluicegate.policies.prompt_cache import PromptCache
from sluicegate.policies.prompt_render import PromptRenderer
from sluicegate.policies.quota import QuotaPolicy
from sluicegate.policies.shields.blocklists import BlocklistCatalog
from sluicegate.policies.shields.build import build_safety_policy
from sluicegate.policies.shields.remote_checks import RemoteDetectors
from sluicegate.policies.stream_usage import RequestStreamUsage
from sluicegate.policies.teams import TeamDirectory, configured_teams
from sluicegate.policies.usage import UsagePolicy
from sluicegate.routing.cooldown import MemoryCooldownStore
from sluicegate.routing.router import Router, build_router
from sluicegate.safety.remote import AzureContentSafety, GuardModel, HeaderSource, static_headers
from sluicegate.server.admin import mount_admin_api
from sluicegate.server.admin.endpoints import Guard, method_not_allowed
from sluicegate.server.fallback import not_found
from sluicegate.server.feedback_api import FeedbackApi, mount_feedback_api
from sluicegate.server.health import HealthApi
from sluicegate.server.metrics_endpoint import METRICS_PATH, metrics_handler
from sluicegate.server.openai_api import ModelApi
from sluicegate.stores.budget_memory import MemoryBudgetStore
from sluicegate.stores.budget_redis import RedisBudgetStore
from sluicegate.stores.capture_retention import DAY_SECONDS, CapturePurger
from sluicegate.stores.ledger_lookup import LedgerLookup
from sluicegate.stores.ledger_writer import LedgerWriter, LedgerWriterOptions
from sluicegate.stores.quota_memory import MemoryQuotaStore
from sluicegate.stores.quota_redis import RedisQuotaStore
from sluicegate.stores.sql import SqlCaptureStore, SqlStores
from sluicegate.stores.sql.feedback import SqlFeedbackStore
from sluicegate.stores.sql.secrets import SqlSharedSecrets
from sluicegate.stores.sql.spend import SqlSpendSource
from sluicegate.telemetry.metrics import BackendGauge, GatewayMetrics
from sluicegate.telemetry.request_log import RequestLog
from sluicegate.telemetry.tracing import GatewayTracing
from sluicegate.telemetry.tracing_setup import build_tracing
from sluicegate.wire.endpoints import Endpoint


@dataclass(frozen=True)
class Gateway:
    config: GatewayConfig
    app: web.Application
    router: Router
    keys: KeyStore | None
    """Where gateway-issued keys live; None when authentication is off."""
    ledger: LedgerWriter | None
    """The usage ledger's writer; None when the ledger is off."""
    tracing: GatewayTracing | None = None
    """The tracing policy; None when tracing is off."""
    prompts: PromptCache | None = None
    """The prompt registry as this gateway renders it; None without a database."""


def create_gateway(
    config: GatewayConfig,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    environ: Mapping[str, str] | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Gateway:
    """Build the gateway's aiohttp application from a validated config.

    With authentication on, the SQL stores at `config.database_url` hold the keys; the schema
    is prepared (SQLite: upgraded; PostgreSQL: checked) when the application starts.
    `environ` (default: the process's) supplies the `OTEL_*` variables; a `tracer_provider`
    replaces the one tracing would build from config, and stays the caller's to shut down.
    """
    clock = clock or SystemClock()
    tracing = build_tracing(
        config, clock, os.environ if environ is None else environ, tracer_provider
    )
    needs_database = config.auth.enabled or config.ledger.enabled
    stores = SqlStores.create(config.database_url) if needs_database else None
    managed = stores if config.auth.enabled else None
    teams = TeamDirectory(
        configured_teams(config.auth, config.quotas),
        managed.teams if managed is not None else None,
        clock,
        lookup_timeout=config.auth.lookup_timeout_seconds,
    )
    auth = build_auth_policy(
        config.auth, managed.keys if managed is not None else None, clock=clock, teams=teams
    )
    ledger = _ledger_writer(config, stores, clock)
    purger = _capture_purger(config, stores if ledger is not None else None, clock)
    feedback = (
        SqlFeedbackStore(stores.database)
        if stores is not None and config.feedback.enabled
        else None
    )
    tokens = _feedback_tokens(config, stores, clock) if ledger is not None else None
    pricer = Pricer(config.pricing, config.backends, route_backends(config))
    backends: dict[str, Backend] = {
        settings.name: HttpBackend(
            settings, config.routing, clock, credentials_for(settings.auth, clock)
        )
        for settings in config.backends
    }
    router = build_router(
        config, backends, clock=clock, store=MemoryCooldownStore(), rng=rng or random.Random()
    )
    quota_store = _quota_store(config, clock)
    budget_store = _budget_store(config, stores if config.ledger.enabled else None, clock)
    policies: list[Policy] = [auth, QuotaPolicy(quota_store, config.quotas)]
    if config.pricing.models:
        policies.append(
            BudgetPolicy(
                budget_store,
                pricer,
                clock,
                default_max_tokens=config.quotas.default_max_tokens,
                enforce=config.quotas.mode == "enforce",
                failure_mode=FailureMode(config.quotas.redis_failure_mode),
            )
        )
    if ledger is not None:
        deployments = backend_deployments(config)
        billing = {b.name: b.kind for b in config.backends}
        policies.append(
            UsagePolicy(ledger, clock, deployments=deployments, billing=billing, cost=pricer.cost)
        )
        if config.capture.enabled:  # inside usage, outside safety: see policies/capture.py
            selected = config.capture
            policies.append(
                CapturePolicy(
                    CaptureSelection.of(selected.routes, selected.teams, selected.subjects),
                    selected.max_chars,
                )
            )
    if tokens is not None:
        policies.append(FeedbackTokenPolicy(tokens))
    catalog = BlocklistCatalog(
        config.safety.blocklists, stores.blocklists if stores is not None else None
    )
    remote = _remote_detectors(config, clock)
    policies.append(build_safety_policy(config.safety, catalog, remote))
    if config.streaming.request_usage:
        policies.append(RequestStreamUsage())
    metrics = _metrics(config, router, ledger)
    request_log = (
        RequestLog(deployments=backend_deployments(config), cost=pricer.cost)
        if config.request_log.enabled
        else None
    )
    if tracing is not None:
        policies.insert(0, tracing)  # first: it sees every request and every refusal
    prompt_cache = (
        PromptCache(stores.prompts, clock, refresh_seconds=config.prompts.refresh_seconds)
        if stores is not None
        else None
    )
    renderer = (
        PromptRenderer(prompt_cache, user_header=config.prompts.user_header)
        if prompt_cache is not None
        else None
    )
    api = ModelApi(
        config,
        router,
        policies,
        clock,
        metrics,
        request_log,
        prompts=renderer,
        identify=auth.identify,
    )
    authenticator = auth.authenticator
    health = HealthApi(
        router,
        created=int(clock.wall()),
        authenticate=authenticator.authenticate if authenticator is not None else None,
    )

    app = web.Application(client_max_size=config.server.max_body_bytes)
    for endpoint in Endpoint:
        handler = api.openai_handler(endpoint)
        app.router.add_route("*", f"/v1/{endpoint.value}", handler)
        app.router.add_route("*", f"/openai/v1/{endpoint.value}", handler)
        app.router.add_route(
            "*",
            f"/openai/deployments/{{deployment}}/{endpoint.value}",
            api.deployment_handler(endpoint),
        )
    for path in ("/v1/models", "/openai/v1/models", "/openai/models"):
        app.router.add_get(path, health.models, allow_head=False)
    app.router.add_get("/healthz", health.healthz, allow_head=False)
    app.router.add_get("/readyz", health.readyz, allow_head=False)
    if config.feedback.enabled:
        feedback_api = FeedbackApi(
            config.feedback,
            clock,
            store=feedback if ledger is not None else None,
            lookup=LedgerLookup(ledger, stores.ledger) if ledger and stores else None,
            authenticate=authenticator.authenticate if authenticator is not None else None,
            tokens=tokens,
        )
        mount_feedback_api(app, feedback_api, cors=bool(config.feedback.cors_origins))
    if metrics is not None:
        guard = Guard(authenticator.authenticate if authenticator is not None else None)
        app.router.add_get(METRICS_PATH, metrics_handler(metrics, guard), allow_head=False)
        app.router.add_route("*", METRICS_PATH, method_not_allowed(["GET"]))
    mount_admin_api(
        app,
        config,
        authenticator=authenticator,
        stores=stores,
        router=router,
        quotas=quota_store,
        teams=teams,
        clock=clock,
        blocklists_changed=catalog.changed,
        feedback=feedback,
        prompt_labels_changed=prompt_cache.changed if prompt_cache is not None else None,
    )
    app.router.add_route("*", "/{tail:.*}", not_found)

    async def prepare_stores(app: web.Application) -> None:
        if stores is not None:
            await stores.prepare()
        if tokens is not None:
            await tokens.start()
        if ledger is not None:
            await ledger.start()
        if purger is not None:
            purger.start()
        await catalog.start()
        if prompt_cache is not None:
            await prompt_cache.start()

    async def close_all(app: web.Application) -> None:
        for backend in backends.values():
            await backend.close()
        await auth.close()
        await quota_store.close()
        await budget_store.close()
        await catalog.stop()
        if prompt_cache is not None:
            await prompt_cache.stop()
        await remote.close()
        if purger is not None:
            await purger.stop()
        if ledger is not None:
            await ledger.stop(config.ledger.stop_deadline_seconds)
        if stores is not None:
            await stores.close()
        if tracing is not None:
            await tracing.close()

    app.on_startup.append(prepare_stores)
    app.on_cleanup.append(close_all)
    keys = stores.keys if stores is not None and config.auth.enabled else None
    return Gateway(
        config=config,
        app=app,
        router=router,
        keys=keys,
        ledger=ledger,
        tracing=tracing,
        prompts=prompt_cache,
    )


def backend_deployments(config: GatewayConfig) -> dict[str, str]:
    """Each backend's deployment: its Azure deployment, else the upstream model it serves."""
    return {b.name: b.deployment or b.model or "" for b in config.backends}


def _metrics(
    config: GatewayConfig, router: Router, ledger: LedgerWriter | None
) -> GatewayMetrics | None:
    """The metrics registry, watching the routing state and the ledger's lag at scrape time."""
    if not config.metrics.enabled:
        return None
    metrics = GatewayMetrics()
    pools = router.pools()

    def backend_states() -> list[BackendGauge]:
        return [
            BackendGauge(name, state.name, state.kind, state.priority, state.cooling_for_s)
            for name, pool in pools.items()
            for state in pool.state()
        ]

    metrics.watch_backends(backend_states)
    metrics.prime(
        backends=[state.name for pool in pools.values() for state in pool.state()],
        spill_targets=_spill_targets(router),
    )
    if ledger is not None:
        metrics.watch_ledger(ledger.lag)
    return metrics


def _spill_targets(router: Router) -> list[tuple[str, str]]:
    """(model route, backend) for every member below its pool's first priority: where a
    request of that route can spill over to."""
    targets = []
    for name in router.names():
        route = router.resolve(name)
        if route is None:
            continue
        members = route.pool.state()
        first = min((member.priority for member in members), default=0)
        targets += [(name, member.name) for member in members if member.priority > first]
    return targets


RemoteAuth = SubscriptionKeyAuth | ApiKeyAuth | BearerAuth | NoAuth | EntraAuth


def _remote_detectors(config: GatewayConfig, clock: Clock) -> RemoteDetectors:
    """Clients of the remote safety services that are configured (none by default)."""
    settings = config.safety.remote
    azure = guard = None
    providers: list[CredentialProvider] = []

    def headers_for(auth: RemoteAuth) -> HeaderSource:
        fixed = static_headers(auth)
        if fixed is not None:
            return fixed
        assert isinstance(auth, EntraAuth)  # the only credential without fixed headers
        provider = credentials_for(auth, clock)
        providers.append(provider)
        return provider

    if settings.azure_content_safety is not None:
        azure_settings = settings.azure_content_safety
        azure = AzureContentSafety(azure_settings, headers_for(azure_settings.auth), clock)
    if settings.guard_model is not None:
        guard_settings = settings.guard_model
        guard = GuardModel(guard_settings, headers_for(guard_settings.auth), clock)
    return RemoteDetectors(azure, guard, providers)


def _quota_store(config: GatewayConfig, clock: Clock) -> QuotaStore:
    """Counters shared through Redis when a URL is configured, else in this process."""
    settings = config.quotas
    if settings.redis_url is None:
        return MemoryQuotaStore(window_s=settings.window_seconds, clock=clock)
    return RedisQuotaStore.from_url(
        settings.redis_url,
        timeout_s=settings.redis_timeout_seconds,
        prefix=settings.redis_key_prefix,
        window_s=settings.window_seconds,
        failure_mode=FailureMode(settings.redis_failure_mode),
    )


def route_backends(config: GatewayConfig) -> dict[str, list[str]]:
    """The backends each model route may be served by: the members of its pool."""
    return {
        route: [member.backend for member in config.pools[settings.pool].members]
        for route, settings in config.models.items()
    }


def _budget_store(config: GatewayConfig, stores: SqlStores | None, clock: Clock) -> BudgetStore:
    """Spend counters beside the quota counters (Redis or this process), started from the
    ledger's spend when there is one."""
    settings = config.quotas
    source = SqlSpendSource(stores.database) if stores is not None else None
    if settings.redis_url is None:
        return MemoryBudgetStore(source)
    return RedisBudgetStore.from_url(
        settings.redis_url,
        source,
        timeout_s=settings.redis_timeout_seconds,
        prefix=settings.redis_key_prefix,
        failure_mode=FailureMode(settings.redis_failure_mode),
        clock=clock,
    )


def _ledger_writer(
    config: GatewayConfig, stores: SqlStores | None, clock: Clock
) -> LedgerWriter | None:
    settings = config.ledger
    if not settings.enabled or stores is None:
        return None
    options = LedgerWriterOptions(
        batch_size=settings.batch_size,
        flush_interval_s=settings.flush_interval_seconds,
        fsync=settings.fsync,
        fsync_interval_s=settings.fsync_interval_ms / 1000,
        max_spool_bytes=settings.max_spool_bytes,
    )
    return LedgerWriter(stores.ledger, spool_directory(config), options, clock=clock)


def _feedback_tokens(
    config: GatewayConfig, stores: SqlStores | None, clock: Clock
) -> FeedbackTokens | None:
    """Feedback tokens on successful replies when `feedback.tokens` is on; signed with the
    configured secret, else with one generated once and kept in the database."""
    settings = config.feedback
    if not (settings.enabled and settings.tokens) or stores is None:
        return None
    secret = settings.token_secret.get_secret_value() if settings.token_secret else None
    shared = SqlSharedSecrets(stores.database, clock)
    return FeedbackTokens(clock, settings.token_ttl_seconds, secret=secret, secrets_store=shared)


def _capture_purger(
    config: GatewayConfig, stores: SqlStores | None, clock: Clock
) -> CapturePurger | None:
    """Retention for captures wherever the ledger (which stores them) is on, even with capture
    off: turning capture off must not keep what it captured past its retention."""
    if stores is None:
        return None
    settings = config.capture
    return CapturePurger(
        SqlCaptureStore(stores.database),
        retention_s=settings.retention_days * DAY_SECONDS,
        interval_s=settings.purge_interval_seconds,
        clock=clock,
    )


def spool_directory(config: GatewayConfig) -> Path:
    """The configured spool, else `usage-spool` beside a SQLite file, else `./usage-spool`."""
    if config.ledger.spool_dir:
        return Path(config.ledger.spool_dir)
    url = make_url(config.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / "usage-spool"
    return Path("usage-spool")
