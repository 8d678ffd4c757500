"""Which admin endpoints there are, and adding them to the gateway's application."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from aiohttp import web

import sluicegate
from sluicegate.admin.blocklists import BlocklistAdmin
from sluicegate.admin.datasets import DatasetAdmin
from sluicegate.admin.eval_runs import EvalRunAdmin
from sluicegate.admin.evaluation_gate import EvaluationGate
from sluicegate.admin.keys import KeyAdmin
from sluicegate.admin.prompts import PromptAdmin
from sluicegate.admin.teams import TeamAdmin
from sluicegate.config.settings import GatewayConfig
from sluicegate.core.blocklists import BlocklistStore
from sluicegate.core.clock import Clock
from sluicegate.core.datasets import DatasetStore
from sluicegate.core.evaluations import EvalRunStore
from sluicegate.core.feedback import FeedbackStore
from sluicegate.core.identity import KeyStore, TeamStore
from sluicegate.core.ledger import AuditLog, LedgerStore
from sluicegate.core.prompts import PromptStore
from sluicegate.core.quota import QuotaStore
from sluicegate.policies.auth import Authenticator
from sluicegate.policies.teams import TeamDirectory, configured_teams
from sluicegate.routing.router import Router
from sluicegate.server.admin.blocklists import BlocklistEndpoints, BlocklistsChanged
from sluicegate.server.admin.datasets import DatasetEndpoints
from sluicegate.server.admin.endpoints import (
    Answer,
    Call,
    Endpoint,
    Guard,
    method_not_allowed,
    serve,
)
from sluicegate.server.admin.eval_runs import EvalRunEndpoints
from sluicegate.server.admin.feedback import FeedbackEndpoints
from sluicegate.server.admin.keys import KeyEndpoints
from sluicegate.server.admin.openapi import openapi_document
from sluicegate.server.admin.prompts import PromptEndpoints, PromptLabelsChanged
from sluicegate.server.admin.reads import (
    AuditEndpoints,
    BackendEndpoints,
    QuotaEndpoints,
    UsageEndpoints,
)
from sluicegate.server.admin.teams import TeamEndpoints
from sluicegate.server.admin.usage_records import UsageRecordEndpoints

OPENAPI_PATH = "/admin/openapi.json"


class AdminStores(Protocol):
    """Where keys, teams, blocklists, prompts, datasets, evaluation runs, the audit log and the
    usage ledger live (`SqlStores` is one)."""

    @property
    def keys(self) -> KeyStore: ...

    @property
    def teams(self) -> TeamStore: ...

    @property
    def blocklists(self) -> BlocklistStore: ...

    @property
    def prompts(self) -> PromptStore: ...

    @property
    def datasets(self) -> DatasetStore: ...

    @property
    def eval_runs(self) -> EvalRunStore: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def ledger(self) -> LedgerStore: ...


def admin_endpoints(
    config: GatewayConfig,
    *,
    authenticator: Authenticator | None,
    stores: AdminStores | None,
    router: Router,
    quotas: QuotaStore,
    teams: TeamDirectory | None,
    clock: Clock,
    blocklists_changed: BlocklistsChanged | None = None,
    feedback: FeedbackStore | None = None,
    prompt_labels_changed: PromptLabelsChanged | None = None,
) -> list[Endpoint]:
    """Every endpoint there is something to serve it with (keys, teams, blocklists, usage and
    the audit log need the database), the OpenAPI document last. `blocklists_changed` tells
    this replica's safety policy at once that a managed list changed (and
    `prompt_labels_changed` its prompt resolution that a label moved); `feedback` serves the
    feedback summaries."""

    def now() -> datetime:
        return datetime.fromtimestamp(clock.wall(), UTC)

    key_admin = KeyAdmin(stores.keys, stores.audit, clock) if stores is not None else None
    endpoints: list[Endpoint] = []
    if stores is not None and key_admin is not None:
        invalidate_key = authenticator.invalidate if authenticator is not None else None
        endpoints += KeyEndpoints(key_admin, invalidate_key).endpoints()
        team_admin = TeamAdmin(stores.teams, stores.keys, stores.audit, clock)
        endpoints += TeamEndpoints(team_admin, teams.invalidate if teams else None).endpoints()
        blocklist_admin = BlocklistAdmin(stores.blocklists, stores.audit, clock)
        endpoints += BlocklistEndpoints(blocklist_admin, blocklists_changed).endpoints()
        gate = EvaluationGate(
            stores.eval_runs,
            required_labels=config.prompts.require_evaluation,
            gated_metrics=config.prompts.gated_metrics,
        )
        prompt_admin = PromptAdmin(
            stores.prompts,
            stores.audit,
            clock,
            protected_labels=config.prompts.protected_labels,
            verifier=gate.verifier(),
        )
        endpoints += PromptEndpoints(prompt_admin, prompt_labels_changed, gate).endpoints()
        dataset_admin = DatasetAdmin(stores.datasets, stores.audit, clock)
        endpoints += DatasetEndpoints(dataset_admin).endpoints()
        eval_admin = EvalRunAdmin(stores.eval_runs, stores.audit, clock)
        endpoints += EvalRunEndpoints(eval_admin).endpoints()
    managed = stores.teams if stores is not None else None
    configured = configured_teams(config.auth, config.quotas)
    endpoints += QuotaEndpoints(config, quotas, key_admin, managed, configured).endpoints()
    if stores is not None:
        endpoints += UsageEndpoints(config, stores.ledger, now).endpoints()
        endpoints += UsageRecordEndpoints(stores.ledger, now).endpoints()
    if feedback is not None:
        endpoints += FeedbackEndpoints(feedback, now).endpoints()
    endpoints += BackendEndpoints(config, router).endpoints()
    if stores is not None:
        endpoints += AuditEndpoints(stores.audit).endpoints()
    return [*endpoints, _document_endpoint(endpoints, authenticated=authenticator is not None)]


class _Document:
    """Serves the document of the endpoints it is listed with (itself included)."""

    def __init__(self) -> None:
        self.body: dict[str, Any] = {}

    async def __call__(self, call: Call) -> Answer:
        return Answer(self.body)


def _document_endpoint(endpoints: list[Endpoint], *, authenticated: bool) -> Endpoint:
    document = _Document()
    endpoint = Endpoint(
        "GET", OPENAPI_PATH, document, "This OpenAPI document", "read", "meta", None
    )
    document.body = openapi_document(
        [*endpoints, endpoint], version=sluicegate.__version__, authenticated=authenticated
    )
    return endpoint


def mount_admin_api(
    app: web.Application,
    config: GatewayConfig,
    *,
    authenticator: Authenticator | None,
    stores: AdminStores | None,
    router: Router,
    quotas: QuotaStore,
    teams: TeamDirectory | None,
    clock: Clock,
    blocklists_changed: BlocklistsChanged | None = None,
    feedback: FeedbackStore | None = None,
    prompt_labels_changed: PromptLabelsChanged | None = None,
) -> bool:
    """Add the `/admin/…` routes to `app` (before any catch-all route); False when the API is
    not served: turned off, or authentication is off and `admin.without_auth` is not set."""
    settings = config.admin
    if not settings.enabled or (authenticator is None and not settings.without_auth):
        return False
    endpoints = admin_endpoints(
        config,
        authenticator=authenticator,
        stores=stores,
        router=router,
        quotas=quotas,
        teams=teams,
        clock=clock,
        blocklists_changed=blocklists_changed,
        feedback=feedback,
        prompt_labels_changed=prompt_labels_changed,
    )
    authenticate = authenticator.authenticate if authenticator is not None else None
    guard = Guard(authenticate, config.auth.anonymous_team)
    methods: dict[str, list[Endpoint]] = {}
    for endpoint in endpoints:
        methods.setdefault(endpoint.path, []).append(endpoint)
    for path, served in methods.items():
        for endpoint in served:
            app.router.add_route(endpoint.method, path, serve(endpoint, guard))
        app.router.add_route("*", path, method_not_allowed([e.method for e in served]))
    return True
