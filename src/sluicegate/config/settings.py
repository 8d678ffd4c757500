"""The gateway's settings: strict, frozen pydantic models, parsed once at start-up.

Unknown keys are refused (`extra="forbid"`) so a typo fails loudly instead of being ignored.
Secrets are `SecretStr`, so they never show in a repr, a log line or an error.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from sluicegate.config.admin import AdminSettings
from sluicegate.config.auth import AuthSettings
from sluicegate.config.capture import CaptureSettings
from sluicegate.config.credentials import (
    ApiKeyAuth,
    BackendAuth,
    BearerAuth,
    EntraAuth,
    NoAuth,
)
from sluicegate.config.feedback import FeedbackSettings
from sluicegate.config.ledger import LedgerSettings
from sluicegate.config.pricing import PricingSettings
from sluicegate.config.prompts import PromptSettings
from sluicegate.config.quotas import QuotaSettings
from sluicegate.config.safety import SafetySettings
from sluicegate.config.strict import Strict
from sluicegate.config.telemetry import MetricsSettings, RequestLogSettings, TracingSettings

CATCH_ALL = "*"
__all__ = ["ApiKeyAuth", "BackendAuth", "BearerAuth", "EntraAuth", "GatewayConfig", "NoAuth"]


class ServerSettings(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    """How long in-flight requests and streams may run on after SIGTERM."""


class RoutingSettings(Strict):
    max_attempts: int = Field(default=4, ge=1, le=32)
    """Upper bound on upstream attempts for one request (the first try included)."""
    request_timeout_seconds: float = Field(default=600.0, gt=0)
    """Deadline for a whole request, all attempts and the streamed reply included."""
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    first_byte_timeout_seconds: float = Field(default=120.0, gt=0)
    """How long one attempt may wait for the reply's status and first body bytes."""
    default_cooldown_seconds: float = Field(default=10.0, ge=0)
    """Cool-down after a 429 or failure when the backend names no retry time."""
    max_cooldown_seconds: float = Field(default=300.0, ge=0)
    failure_cooldown_seconds: float = Field(default=5.0, ge=0)
    """Cool-down after a 5xx, a connect error or a timeout."""


class StreamingSettings(Strict):
    request_usage: bool = True
    """Ask upstream for the final usage chunk on every stream (`stream_options.include_usage`),
    and drop that chunk before it reaches a client that did not ask for it."""


class BackendSettings(Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    url: str
    """Azure: the resource endpoint (https://NAME.openai.azure.com). OpenAI-style: the base URL
    that `/chat/completions` is appended to (https://api.openai.com/v1)."""
    api: Literal["azure", "openai"] = "openai"
    deployment: str | None = None
    """Azure deployment name; required when `api: azure`."""
    api_version: str = "2024-10-21"
    model: str | None = None
    """OpenAI-style only: the upstream model name to send; unset forwards the client's."""
    kind: Literal["ptu", "paygo"] = "paygo"
    priority: int = Field(default=1, ge=1)
    weight: float = Field(default=1.0, gt=0)
    region: str = ""
    auth: BackendAuth = NoAuth()
    tpm: int | None = Field(default=None, ge=1)
    rpm: int | None = Field(default=None, ge=1)
    ptu_units: int | None = Field(default=None, ge=1)
    """PTU backends: the provisioned throughput units reserved; with `tpm` and the price table's
    `ptu_unit_hour_usd` it prices each request as its share of the capacity."""
    max_connections: int = Field(default=256, ge=1)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _azure_needs_deployment(self) -> BackendSettings:
        if self.api == "azure" and not self.deployment:
            raise ValueError(
                f"backend '{self.name}' uses api: azure and needs 'deployment' "
                "(the Azure deployment name)"
            )
        if self.api == "azure" and self.model:
            raise ValueError(
                f"backend '{self.name}': 'model' applies to api: openai only; "
                "Azure picks the model by 'deployment'"
            )
        return self


class PoolMember(Strict):
    backend: str
    priority: int | None = Field(default=None, ge=1)
    """Overrides the backend's priority inside this pool."""
    weight: float | None = Field(default=None, gt=0)


class PoolSettings(Strict):
    members: list[PoolMember] = Field(min_length=1)


class ModelRoute(Strict):
    pool: str
    aliases: list[str] = Field(default_factory=list)
    """Other names (model names or Azure deployment names) that reach the same pool."""


class GatewayConfig(Strict):
    server: ServerSettings = ServerSettings()
    routing: RoutingSettings = RoutingSettings()
    streaming: StreamingSettings = StreamingSettings()
    auth: AuthSettings = AuthSettings()
    """Who may call: gateway-issued keys and JWT bearer tokens; on unless turned off."""
    quotas: QuotaSettings = QuotaSettings()
    ledger: LedgerSettings = LedgerSettings()
    capture: CaptureSettings = CaptureSettings()
    """Prompts and completions of selected requests, kept with their usage record; off by
    default."""
    feedback: FeedbackSettings = FeedbackSettings()
    """User feedback on replies (`POST /v1/feedback`), joined with the usage ledger."""
    admin: AdminSettings = AdminSettings()
    """The admin HTTP API under `/admin/…`; not mounted while authentication is off."""
    metrics: MetricsSettings = MetricsSettings()
    """`GET /metrics` in the Prometheus text format, for admin and operator keys."""
    tracing: TracingSettings = TracingSettings()
    """OpenTelemetry spans per model request and upstream attempt; off unless enabled here or
    by `OTEL_*` environment variables."""
    request_log: RequestLogSettings = RequestLogSettings()
    """One structured JSON line per model request."""
    pricing: PricingSettings = PricingSettings()
    """Per-model token prices and the PTU unit price: every request's cost, and budgets."""
    safety: SafetySettings = SafetySettings()
    """Prompt shields, content safety, PII and blocklists on requests and replies; the safe
    defaults apply when the section is absent."""
    prompts: PromptSettings = PromptSettings()
    """The prompt registry: protected labels, and how often gateways reload labels."""
    database_url: str = "sqlite+aiosqlite:///sluicegate.db"
    """Keys, the usage ledger and the audit log live here; `SLUICEGATE_DATABASE_URL` overrides
    it."""
    backends: list[BackendSettings] = Field(min_length=1)
    pools: dict[str, PoolSettings]
    models: dict[str, ModelRoute] = Field(min_length=1)
    """Names a client may ask for (`model` in the body or the Azure deployment in the path);
    the name `*` catches every other name."""

    @model_validator(mode="after")
    def _references_resolve(self) -> GatewayConfig:
        names = [backend.name for backend in self.backends]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"backend names must be unique; repeated: {', '.join(duplicates)}")
        known = set(names)
        for pool_name, pool in self.pools.items():
            for member in pool.members:
                if member.backend not in known:
                    raise ValueError(
                        f"pool '{pool_name}' names backend '{member.backend}', which is not "
                        f"defined; known backends: {', '.join(sorted(known))}"
                    )
        seen: dict[str, str] = {}
        for model_name, route in self.models.items():
            if route.pool not in self.pools:
                raise ValueError(
                    f"model '{model_name}' uses pool '{route.pool}', which is not defined; "
                    f"known pools: {', '.join(sorted(self.pools)) or '(none)'}"
                )
            for name in (model_name, *route.aliases):
                if name in seen and seen[name] != model_name:
                    raise ValueError(
                        f"the name '{name}' is claimed by both models '{seen[name]}' and "
                        f"'{model_name}'; each name may route to one model only"
                    )
                seen[name] = model_name
        for priced in self.pricing.models:
            if priced != CATCH_ALL and priced not in self.models:
                raise ValueError(
                    f"pricing.models names '{priced}', which is not a model route; price a key "
                    f"of 'models' or '{CATCH_ALL}'; routes: {', '.join(sorted(self.models))}"
                )
        for routed in self.safety.routes:
            if routed != CATCH_ALL and routed not in self.models:
                raise ValueError(
                    f"safety.routes names '{routed}', which is not a model route; routes: "
                    f"{', '.join(sorted(self.models))}"
                )
        for routed in self.capture.routes:
            if routed not in self.models:
                raise ValueError(
                    f"capture.routes names '{routed}', which is not a model route; routes: "
                    f"{', '.join(sorted(self.models))}"
                )
        if self.capture.enabled and not self.ledger.enabled:
            raise ValueError(
                "capture.enabled needs the usage ledger, which stores the captures: set "
                "ledger.enabled: true or turn capture off"
            )
        for backend in self.backends:
            if backend.ptu_units is not None and backend.kind != "ptu":
                raise ValueError(
                    f"backend '{backend.name}' sets ptu_units but is kind '{backend.kind}'; "
                    "ptu_units applies to kind: ptu"
                )
        return self
