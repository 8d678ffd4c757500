"""Resolving the tracing settings from the config and a given environment mapping."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.config.loader import ConfigError
from sluicegate.config.telemetry import TracingSettings
from sluicegate.telemetry.tracing_env import BatchPlan, TracingPlan, resolve_tracing

ON = TracingSettings(enabled=True)


def plan(settings: TracingSettings = ON, **environ: str) -> TracingPlan:
    resolved = resolve_tracing(settings, environ)
    assert resolved is not None
    return resolved


def settings(**values: Any) -> TracingSettings:
    return TracingSettings.model_validate({"enabled": True, **values})


def test_tracing_is_off_by_default_and_with_exporter_none() -> None:
    assert resolve_tracing(TracingSettings(), {}) is None
    assert resolve_tracing(settings(exporter="none"), {}) is None


def test_the_config_alone_decides_when_no_otel_variable_is_set() -> None:
    resolved = plan(
        settings(
            exporter="otlp",
            endpoint="https://collector.example:4318/v1/traces",
            headers={"x-api-key": "k1"},
            service_name="edge-gateway",
            sample_ratio=0.25,
            compression="gzip",
            timeout_seconds=3,
            batch={"max_queue_size": 100, "max_export_batch_size": 10, "schedule_delay_ms": 50},
        )
    )
    assert resolved.exporters == ("otlp",)
    assert resolved.endpoint == "https://collector.example:4318/v1/traces"
    assert resolved.headers == {"x-api-key": "k1"}
    assert resolved.service_name == "edge-gateway"
    assert (resolved.sampler, resolved.sample_ratio) == ("parentbased_traceidratio", 0.25)
    assert resolved.compression == "gzip"
    assert resolved.timeout_seconds == 3
    assert resolved.batch == BatchPlan(100, 10, 50, 30000)


def test_otel_sdk_disabled_wins_over_everything() -> None:
    assert resolve_tracing(ON, {"OTEL_SDK_DISABLED": "TRUE"}) is None
    assert (
        resolve_tracing(ON, {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}) is None
    )
    assert resolve_tracing(ON, {"OTEL_SDK_DISABLED": "false"}) is not None


def test_otel_traces_exporter_turns_tracing_on_or_off_over_the_config() -> None:
    assert plan(TracingSettings(), OTEL_TRACES_EXPORTER="console").exporters == ("console",)
    assert plan(ON, OTEL_TRACES_EXPORTER="console, otlp").exporters == ("otlp", "console")
    assert resolve_tracing(ON, {"OTEL_TRACES_EXPORTER": "none"}) is None
    assert plan(ON, OTEL_TRACES_EXPORTER="").exporters == ("otlp",)  # empty is unset
    with pytest.raises(ConfigError, match="OTEL_TRACES_EXPORTER='zipkin'"):
        resolve_tracing(ON, {"OTEL_TRACES_EXPORTER": "zipkin"})


def test_endpoint_the_traces_variable_is_used_as_is_the_generic_one_gets_the_path() -> None:
    assert plan(OTEL_EXPORTER_OTLP_ENDPOINT="http://otel:4318").endpoint == (
        "http://otel:4318/v1/traces"
    )
    assert plan(OTEL_EXPORTER_OTLP_ENDPOINT="http://otel:4318/").endpoint == (
        "http://otel:4318/v1/traces"
    )
    both = plan(
        OTEL_EXPORTER_OTLP_ENDPOINT="http://otel:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://traces:9999/custom",
    )
    assert both.endpoint == "http://traces:9999/custom"
    with pytest.raises(ConfigError, match="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        resolve_tracing(ON, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "otel:4318"})


def test_headers_merge_key_by_key_decoded_and_never_shown() -> None:
    resolved = plan(
        settings(headers={"x-api-key": "from-config", "x-team": "gw"}),
        OTEL_EXPORTER_OTLP_HEADERS="x-api-key=from%20env,authorization=Basic%20abc%3D",
        OTEL_EXPORTER_OTLP_TRACES_HEADERS="authorization=Bearer t",
    )
    assert resolved.headers == {
        "x-api-key": "from env",
        "x-team": "gw",
        "authorization": "Bearer t",
    }
    assert "Bearer" not in repr(resolved)
    assert "from env" not in repr(resolved)
    with pytest.raises(ConfigError, match="entry 2 is not key=value") as caught:
        resolve_tracing(ON, {"OTEL_EXPORTER_OTLP_HEADERS": "a=1,secret-without-equals"})
    assert "secret-without-equals" not in str(caught.value)


def test_service_name_variable_then_resource_attribute_then_config() -> None:
    named = settings(service_name="from-config")
    assert plan(named).service_name == "from-config"
    from_resource = plan(named, OTEL_RESOURCE_ATTRIBUTES="service.name=res,deployment.env=prod")
    assert from_resource.service_name == "res"
    assert from_resource.resource == {"deployment.env": "prod"}
    both = plan(
        named, OTEL_RESOURCE_ATTRIBUTES="service.name=res", OTEL_SERVICE_NAME="from-variable"
    )
    assert both.service_name == "from-variable"
    assert both.resource == {}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"OTEL_TRACES_SAMPLER": "always_off"}, ("always_off", 1.0)),
        ({"OTEL_TRACES_SAMPLER": "parentbased_always_on"}, ("parentbased_always_on", 1.0)),
        (
            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
            ("traceidratio", 0.1),
        ),
        ({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio"}, ("parentbased_traceidratio", 1.0)),
        ({"OTEL_TRACES_SAMPLER_ARG": "0.3"}, ("parentbased_traceidratio", 0.5)),
    ],
)
def test_the_sampler_variables_replace_the_configured_ratio(
    environ: dict[str, str], expected: tuple[str, float]
) -> None:
    resolved = plan(settings(sample_ratio=0.5), **environ)
    assert (resolved.sampler, resolved.sample_ratio) == expected


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"OTEL_TRACES_SAMPLER": "jaeger_remote"}, "OTEL_TRACES_SAMPLER"),
        (
            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"},
            "OTEL_TRACES_SAMPLER_ARG",
        ),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
        (
            {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "zstd"},
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        ),
        ({"OTEL_BSP_MAX_QUEUE_SIZE": "lots"}, "OTEL_BSP_MAX_QUEUE_SIZE"),
        ({"OTEL_BSP_MAX_QUEUE_SIZE": "10"}, "OTEL_BSP_MAX_QUEUE_SIZE"),  # below the batch
    ],
)
def test_unusable_variables_fail_start_up_naming_the_variable(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        resolve_tracing(ON, environ)


def test_batch_and_compression_variables_override_the_config() -> None:
    resolved = plan(
        OTEL_BSP_SCHEDULE_DELAY="200",
        OTEL_BSP_EXPORT_TIMEOUT="1000",
        OTEL_BSP_MAX_QUEUE_SIZE="64",
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE="8",
        OTEL_EXPORTER_OTLP_COMPRESSION="gzip",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
    )
    assert resolved.batch == BatchPlan(64, 8, 200, 1000)
    assert resolved.compression == "gzip"


def test_the_config_refuses_a_batch_larger_than_its_queue_and_a_non_http_endpoint() -> None:
    with pytest.raises(ValueError, match="max_export_batch_size"):
        settings(batch={"max_queue_size": 10, "max_export_batch_size": 20})
    with pytest.raises(ValueError, match="http"):
        settings(endpoint="collector:4318")
