"""Resolve the tracing settings: the config's `tracing` section, overridden by `OTEL_*`.

The standard OpenTelemetry environment variables win over the config file, key by key, as
`SLUICEGATE_DATABASE_URL` wins over `database_url`: a platform that injects `OTEL_*` into every
container gets what it asked for. The environment is passed in as a mapping (never read here
from the process), so resolving is a pure function and tests need not touch `os.environ`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

from sluicegate.config.loader import ConfigError
from sluicegate.config.telemetry import TracingSettings

Exporter = Literal["otlp", "console"]
SamplerKind = Literal[
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
]
SAMPLERS: tuple[SamplerKind, ...] = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)
_EXPORTERS: tuple[Exporter, ...] = ("otlp", "console")
_TRACES_PATH = "v1/traces"
_PROTOCOL = "http/protobuf"


@dataclass(frozen=True, slots=True)
class BatchPlan:
    max_queue_size: int
    max_export_batch_size: int
    schedule_delay_ms: int
    export_timeout_ms: int


@dataclass(frozen=True, slots=True)
class TracingPlan:
    """Everything needed to build the tracer provider, every value decided."""

    exporters: tuple[Exporter, ...]
    endpoint: str
    headers: Mapping[str, str] = field(repr=False)
    """Export headers often carry a collector's key: never shown in a repr."""
    compression: Literal["none", "gzip"]
    timeout_seconds: float
    service_name: str
    resource: Mapping[str, str]
    """Resource attributes from `OTEL_RESOURCE_ATTRIBUTES` (service.name aside)."""
    sampler: SamplerKind
    sample_ratio: float
    batch: BatchPlan


def resolve_tracing(settings: TracingSettings, environ: Mapping[str, str]) -> TracingPlan | None:
    """The tracing to set up, or None when tracing is off.

    Raises ConfigError naming the variable when an `OTEL_*` value cannot be used.
    """
    if _flag(environ, "OTEL_SDK_DISABLED"):
        return None
    exporters = _exporters(settings, environ)
    if not exporters:
        return None
    _check_protocol(environ)
    resource = _pairs(environ, "OTEL_RESOURCE_ATTRIBUTES")
    named_in_resource = resource.pop("service.name", None)
    service_name = _text(environ, "OTEL_SERVICE_NAME") or named_in_resource or settings.service_name
    sampler, ratio = _sampler(settings, environ)
    headers = {name: value.get_secret_value() for name, value in settings.headers.items()}
    headers.update(_pairs(environ, "OTEL_EXPORTER_OTLP_HEADERS"))
    headers.update(_pairs(environ, "OTEL_EXPORTER_OTLP_TRACES_HEADERS"))
    return TracingPlan(
        exporters=exporters,
        endpoint=_endpoint(settings, environ),
        headers=headers,
        compression=_compression(settings, environ),
        timeout_seconds=settings.timeout_seconds,
        service_name=service_name,
        resource=resource,
        sampler=sampler,
        sample_ratio=ratio,
        batch=_batch(settings, environ),
    )


def _exporters(settings: TracingSettings, environ: Mapping[str, str]) -> tuple[Exporter, ...]:
    named = _text(environ, "OTEL_TRACES_EXPORTER")
    if named is None:
        if not settings.enabled or settings.exporter == "none":
            return ()
        return (settings.exporter,)
    chosen = [part.strip().lower() for part in named.split(",") if part.strip()]
    if chosen == ["none"]:
        return ()
    unknown = [name for name in chosen if name not in _EXPORTERS]
    if unknown or not chosen:
        raise ConfigError(
            f"OTEL_TRACES_EXPORTER={named!r}: the gateway exports traces with otlp, console, "
            "or both (comma-separated), or none"
        )
    return tuple(name for name in _EXPORTERS if name in chosen)


def _check_protocol(environ: Mapping[str, str]) -> None:
    for name in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        value = _text(environ, name)
        if value is not None and value != _PROTOCOL:
            raise ConfigError(
                f"{name}={value!r}: the gateway exports OTLP over HTTP with protobuf only; "
                f"set it to {_PROTOCOL} or unset it"
            )


def _endpoint(settings: TracingSettings, environ: Mapping[str, str]) -> str:
    name = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    url = _text(environ, name)
    if url is None:
        name = "OTEL_EXPORTER_OTLP_ENDPOINT"
        base = _text(environ, name)
        if base is None:
            return settings.endpoint
        url = f"{base.rstrip('/')}/{_TRACES_PATH}"
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{name}: must be an http:// or https:// URL")
    return url


def _compression(settings: TracingSettings, environ: Mapping[str, str]) -> Literal["none", "gzip"]:
    for name in ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"):
        value = _text(environ, name)
        if value is None:
            continue
        if value.lower() == "gzip":
            return "gzip"
        if value.lower() == "none":
            return "none"
        raise ConfigError(f"{name}={value!r}: must be gzip or none")
    return settings.compression


def _sampler(settings: TracingSettings, environ: Mapping[str, str]) -> tuple[SamplerKind, float]:
    named = _text(environ, "OTEL_TRACES_SAMPLER")
    if named is None:
        return "parentbased_traceidratio", settings.sample_ratio
    kind = next((sampler for sampler in SAMPLERS if sampler == named.lower()), None)
    if kind is None:
        raise ConfigError(f"OTEL_TRACES_SAMPLER={named!r}: must be one of {', '.join(SAMPLERS)}")
    if not kind.endswith("traceidratio"):
        return kind, 1.0
    argument = _text(environ, "OTEL_TRACES_SAMPLER_ARG")
    if argument is None:
        return kind, 1.0
    try:
        ratio = float(argument)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        raise ConfigError(f"OTEL_TRACES_SAMPLER_ARG={argument!r}: must be a number from 0 to 1")
    return kind, ratio


def _batch(settings: TracingSettings, environ: Mapping[str, str]) -> BatchPlan:
    batch = settings.batch
    plan = BatchPlan(
        max_queue_size=_count(environ, "OTEL_BSP_MAX_QUEUE_SIZE", batch.max_queue_size),
        max_export_batch_size=_count(
            environ, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", batch.max_export_batch_size
        ),
        schedule_delay_ms=_count(environ, "OTEL_BSP_SCHEDULE_DELAY", batch.schedule_delay_ms),
        export_timeout_ms=_count(environ, "OTEL_BSP_EXPORT_TIMEOUT", batch.export_timeout_ms),
    )
    if plan.max_export_batch_size > plan.max_queue_size:
        raise ConfigError(
            f"the span batch size ({plan.max_export_batch_size}) exceeds the span queue size "
            f"({plan.max_queue_size}); check tracing.batch and OTEL_BSP_MAX_EXPORT_BATCH_SIZE "
            "/ OTEL_BSP_MAX_QUEUE_SIZE"
        )
    return plan


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    value = _text(environ, name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"{name}={value!r}: must be a whole number, 1 or more")
    return number


def _pairs(environ: Mapping[str, str], name: str) -> dict[str, str]:
    """`key=value,key2=value2` with percent-encoded values, the format of OTEL headers and
    resource attributes. A malformed entry is named by position, never by value (headers
    hold keys)."""
    value = _text(environ, name)
    if value is None:
        return {}
    pairs: dict[str, str] = {}
    for index, entry in enumerate(value.split(","), start=1):
        if not entry.strip():
            continue
        key, separator, item = entry.partition("=")
        if not separator or not key.strip():
            raise ConfigError(f"{name}: entry {index} is not key=value")
        pairs[unquote(key.strip())] = unquote(item.strip())
    return pairs


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return (_text(environ, name) or "").lower() == "true"


def _text(environ: Mapping[str, str], name: str) -> str | None:
    """The variable's value; unset and empty are the same (the OpenTelemetry rule)."""
    value = environ.get(name, "").strip()
    return value or None
