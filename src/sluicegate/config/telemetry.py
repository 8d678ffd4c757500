"""Settings for what the gateway tells operators about itself: Prometheus metrics, traces."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from sluicegate.config.strict import Strict


class MetricsSettings(Strict):
    enabled: bool = True
    """Serve `GET /metrics` in the Prometheus text format. With authentication on it needs a
    key or token with the role `admin` or `operator` (give the scraper an operator key); with
    it off it is open, like everything else."""


class RequestLogSettings(Strict):
    enabled: bool = True
    """One JSON line per model request on the `sluicegate.requests` logger (standard error
    when started from the CLI): consumer, route, backend, attempts, tokens, cost, latency,
    safety verdicts, status. Never prompts, completions or credentials."""


class TracingBatchSettings(Strict):
    """How finished spans are batched on their way to the exporter (a background thread, off
    the request path). A full queue drops spans rather than slowing requests down."""

    max_queue_size: int = Field(default=2048, ge=1)
    """Spans waiting for export; past this, new spans are dropped."""
    max_export_batch_size: int = Field(default=32, ge=1)
    """Spans per export request; at most `max_queue_size`. Smaller than OpenTelemetry's 512
    on purpose: the exporter thread encodes a whole batch while holding the interpreter, and
    requests waiting for it then stall; 32 spans take a few milliseconds to encode, 512 made
    the p99 at 500 req/s a hundred milliseconds (docs/performance.md)."""
    schedule_delay_ms: int = Field(default=5000, ge=1)
    """The longest a finished span waits before its batch is sent."""
    export_timeout_ms: int = Field(default=30000, ge=1)
    """How long one export may take before it is abandoned."""

    @model_validator(mode="after")
    def _batch_fits_queue(self) -> TracingBatchSettings:
        if self.max_export_batch_size > self.max_queue_size:
            raise ValueError(
                f"max_export_batch_size ({self.max_export_batch_size}) must not exceed "
                f"max_queue_size ({self.max_queue_size})"
            )
        return self


class TracingSettings(Strict):
    """OpenTelemetry traces: a server span per model request, a client span per upstream
    attempt. The standard `OTEL_*` environment variables override these keys."""

    enabled: bool = False
    """Off by default: no tracer exists and the client's `traceparent` passes through as is."""
    exporter: Literal["otlp", "console", "none"] = "otlp"
    """`otlp`: OTLP over HTTP with protobuf (needs `pip install 'sluicegate[otlp]'`);
    `console`: JSON on standard output, for trying it out; `none`: tracing off."""
    endpoint: str = "http://localhost:4318/v1/traces"
    """The OTLP/HTTP traces URL, used as is (the path included)."""
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    """Sent with every export, for collectors that want a key (`x-honeycomb-team`,
    `authorization`); write secrets as `${ENV}` references."""
    compression: Literal["none", "gzip"] = "none"
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """How long one export request may take."""
    service_name: str = Field(default="sluicegate", min_length=1)
    """`service.name` of the spans' resource."""
    sample_ratio: float = Field(default=1.0, ge=0, le=1)
    """Share of new traces recorded. A request that arrives with a `traceparent` follows its
    caller's sampling decision instead (parent-based sampling)."""
    batch: TracingBatchSettings = TracingBatchSettings()

    @field_validator("endpoint")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value
