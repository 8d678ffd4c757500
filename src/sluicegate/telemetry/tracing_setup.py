"""Build the gateway's tracing from its config: tracer provider, sampler, exporters.

The provider belongs to the gateway (never installed as the process-global one), with no
exit hook of its own: the application's cleanup flushes and shuts it down. Every exporter
and processor setting is passed explicitly, so what `resolve_tracing` decided is what runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.sdk.version import __version__ as sdk_version
from opentelemetry.trace import TracerProvider as ApiTracerProvider

from sluicegate import __version__
from sluicegate.config.loader import ConfigError
from sluicegate.config.settings import GatewayConfig
from sluicegate.core.clock import Clock
from sluicegate.telemetry.attempt_span import provider_name
from sluicegate.telemetry.tracing import GatewayTracing
from sluicegate.telemetry.tracing_env import TracingPlan, resolve_tracing

TRACER_NAME = "sluicegate"
OTLP_MODULE = "opentelemetry.exporter.otlp.proto.http.trace_exporter"
OTLP_MISSING = (
    "tracing uses the OTLP exporter, which is not installed: pip install 'sluicegate[otlp]' "
    "(or set tracing.exporter / OTEL_TRACES_EXPORTER to console or none)"
)


def build_tracing(
    config: GatewayConfig,
    clock: Clock,
    environ: Mapping[str, str],
    tracer_provider: ApiTracerProvider | None = None,
) -> GatewayTracing | None:
    """The tracing policy, or None when tracing is off (then nothing is built at all).

    A `tracer_provider` passed in (tests pass one with an in-memory exporter) is used as is
    and stays its owner's to shut down; otherwise the gateway builds and owns one.
    """
    plan = resolve_tracing(config.tracing, environ)
    if plan is None:
        return None
    providers = {backend.name: provider_name(backend) for backend in config.backends}
    if tracer_provider is not None:
        tracer = tracer_provider.get_tracer(TRACER_NAME, __version__)
        return GatewayTracing(tracer, clock, providers)
    owned = tracer_provider_for(plan)
    tracer = owned.get_tracer(TRACER_NAME, __version__)
    return GatewayTracing(tracer, clock, providers, close=owned.shutdown)


def tracer_provider_for(plan: TracingPlan) -> TracerProvider:
    """A provider with the plan's resource, sampler and one batching processor per exporter.

    Raises ConfigError when the OTLP exporter is asked for but not installed.
    """
    processors = [_batching(plan, _exporter(plan, name)) for name in plan.exporters]
    resource = Resource(
        {
            **plan.resource,
            "service.name": plan.service_name,
            "service.version": __version__,
            "telemetry.sdk.language": "python",
            "telemetry.sdk.name": "opentelemetry",
            "telemetry.sdk.version": sdk_version,
        }
    )
    provider = TracerProvider(
        sampler=sampler_for(plan),
        resource=resource,
        shutdown_on_exit=False,
        meter_provider=NoOpMeterProvider(),
    )
    for processor in processors:
        provider.add_span_processor(processor)
    return provider


def sampler_for(plan: TracingPlan) -> Sampler:
    root: Sampler
    kind = plan.sampler
    if kind.endswith("always_on"):
        root = ALWAYS_ON
    elif kind.endswith("always_off"):
        root = ALWAYS_OFF
    else:
        root = TraceIdRatioBased(plan.sample_ratio)
    return ParentBased(root) if kind.startswith("parentbased_") else root


def _batching(plan: TracingPlan, exporter: SpanExporter) -> SpanProcessor:
    batch = plan.batch
    return BatchSpanProcessor(
        exporter,
        max_queue_size=batch.max_queue_size,
        schedule_delay_millis=batch.schedule_delay_ms,
        max_export_batch_size=batch.max_export_batch_size,
        export_timeout_millis=batch.export_timeout_ms,
        meter_provider=NoOpMeterProvider(),
    )


def _exporter(plan: TracingPlan, name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter(service_name=plan.service_name)
    try:
        otlp: Any = import_module(OTLP_MODULE)
        compression: Any = import_module("opentelemetry.exporter.otlp.proto.http").Compression
    except ImportError:
        raise ConfigError(OTLP_MISSING) from None
    exporter: SpanExporter = otlp.OTLPSpanExporter(
        endpoint=plan.endpoint,
        headers=dict(plan.headers),
        timeout=plan.timeout_seconds,
        compression=compression.Gzip if plan.compression == "gzip" else compression.NoCompression,
        meter_provider=NoOpMeterProvider(),
    )
    return exporter
