"""Simulator settings: defaults, cross-field rules with readable errors, the example file,
x-sim-* header parsing and fault sampling."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sluicegate.config.loader import ConfigError, load_model, parse_document
from sluicegate.config.simulator import (
    FaultSettings,
    LatencySettings,
    SimDeployment,
    SimulatorConfig,
    zero_latency,
    zero_latency_config,
)
from sluicegate.simulator.completion import plan_completion
from sluicegate.simulator.deployment import Deployment, Deployments, choose_fault
from sluicegate.simulator.overrides import NONE, Fault, OverrideError, parse_overrides

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sim.yaml"


def _load(document: dict[str, Any]) -> SimulatorConfig:
    return parse_document(document, SimulatorConfig, env={}, source="sim.yaml")


def test_defaults() -> None:
    config = _load({"deployments": [{"name": "gpt-4o-mini"}]})
    assert (config.host, config.port, config.seed) == ("127.0.0.1", 8090, 0)
    deployment = config.deployments[0]
    assert deployment.model == "gpt-4o-mini"
    assert deployment.kind == "paygo"
    assert (deployment.tpm, deployment.rpm) == (None, None)
    assert deployment.window_seconds == 60
    assert deployment.completion.mean_tokens == 120
    assert deployment.completion.spread == 0.5
    assert deployment.embedding_dimensions == 256
    assert deployment.faults == FaultSettings()


def test_ptu_without_capacity_names_the_key_and_the_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        _load({"deployments": [{"name": "p1", "kind": "ptu"}]})
    message = str(caught.value)
    assert "deployments[0]" in message
    assert "capacity_tpm" in message
    assert "capacity_tpm: 60000" in message


@pytest.mark.parametrize(
    ("deployment", "fragment"),
    [
        ({"name": "p", "kind": "ptu", "capacity_tpm": 10, "tpm": 5}, "apply to kind: paygo"),
        ({"name": "g", "kind": "paygo", "capacity_tpm": 10}, "applies to kind: ptu"),
        ({"name": "g", "faults": {"error_rate": 0.6, "drop_rate": 0.6}}, "at most 1"),
        ({"name": "g", "faults": {"hang_rate": 1.5}}, "faults.hang_rate"),
        ({"name": "g", "completion": {"spread": 2}}, "completion.spread"),
        ({"name": "g", "window_seconds": 0}, "window_seconds"),
        ({"name": "g", "kind": "spot"}, "must be one of"),
        ({"name": "g", "latency": {"ttft": 5}}, "latency.ttft: is not a known setting"),
        ({"name": "bad name"}, "deployments[0].name"),
    ],
)
def test_invalid_deployments_are_explained(deployment: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match="problem") as caught:
        _load({"deployments": [deployment]})
    assert fragment in str(caught.value)


def test_deployments_are_required_and_unique() -> None:
    with pytest.raises(ConfigError, match="deployments"):
        _load({})
    with pytest.raises(ConfigError, match="repeated: a"):
        _load({"deployments": [{"name": "a"}, {"name": "a", "model": "x"}]})


def test_settings_are_frozen() -> None:
    config = zero_latency_config()
    with pytest.raises(ValueError, match="frozen"):
        config.deployments[0].kind = "ptu"  # type: ignore[misc]


def test_zero_latency_keeps_everything_but_the_latency() -> None:
    slow = SimulatorConfig(
        seed=9,
        deployments=[
            SimDeployment(
                name="p",
                kind="ptu",
                capacity_tpm=100,
                latency=LatencySettings(ttft_ms=300, tokens_per_second=20),
            )
        ],
    )
    fast = zero_latency(slow)
    assert fast.deployments[0].latency == LatencySettings()
    assert fast.deployments[0].capacity_tpm == 100
    assert fast.seed == 9
    assert slow.deployments[0].latency.ttft_ms == 300


def test_zero_latency_config_is_unlimited_and_on_a_free_port() -> None:
    config = zero_latency_config(("a", "b"))
    assert config.port == 0
    assert [d.name for d in config.deployments] == ["a", "b"]
    assert all(d.tpm is None and d.rpm is None for d in config.deployments)


def test_example_file_loads_with_a_ptu_and_a_paygo_deployment_of_one_model() -> None:
    config = load_model(EXAMPLE, SimulatorConfig, env={"SIM_PORT": "9000"})
    assert config.port == 9000
    kinds = {deployment.kind for deployment in config.deployments}
    assert kinds == {"ptu", "paygo"}
    assert len({deployment.model for deployment in config.deployments}) == 1


def test_overrides_absent_cost_nothing() -> None:
    assert parse_overrides({"content-type": "application/json"}) is NONE


def test_overrides_are_parsed() -> None:
    overrides = parse_overrides(
        {
            "x-sim-fault": "Drop",
            "x-sim-status": "503",
            "x-sim-retry-after": "Wed, 21 Oct 2015 07:28:00 GMT",
            "x-sim-retry-after-ms": "1500",
            "x-sim-ttft-ms": "12.5",
            "x-sim-tokens-per-second": "0",
            "x-sim-completion-tokens": "7",
            "x-sim-drop-after": "2",
        }
    )
    assert overrides.fault is Fault.DROP
    assert overrides.status == 503
    assert overrides.retry_after == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert overrides.retry_after_ms == "1500"
    assert (overrides.ttft_ms, overrides.tokens_per_second) == (12.5, 0)
    assert (overrides.completion_tokens, overrides.drop_after) == (7, 2)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("x-sim-fault", "explode"),
        ("x-sim-status", "200"),
        ("x-sim-status", "abc"),
        ("x-sim-ttft-ms", "-1"),
        ("x-sim-tokens-per-second", "nan"),
        ("x-sim-completion-tokens", "1.5"),
    ],
)
def test_bad_overrides_name_the_header(header: str, value: str) -> None:
    with pytest.raises(OverrideError, match=header) as caught:
        parse_overrides({header: value})
    assert caught.value.header == header


def test_fault_sampling_is_seeded_and_follows_the_rates() -> None:
    faults = FaultSettings(error_rate=0.1, reset_rate=0.2, drop_rate=0.3, hang_rate=0.1)
    rng_a, rng_b = random.Random(11), random.Random(11)
    seq_a = [choose_fault(rng_a, faults) for _ in range(5000)]
    seq_b = [choose_fault(rng_b, faults) for _ in range(5000)]
    assert seq_a == seq_b
    counts = Counter(seq_a)
    assert counts[Fault.ERROR] / 5000 == pytest.approx(0.1, abs=0.02)
    assert counts[Fault.RESET] / 5000 == pytest.approx(0.2, abs=0.02)
    assert counts[Fault.DROP] / 5000 == pytest.approx(0.3, abs=0.02)
    assert counts[Fault.HANG] / 5000 == pytest.approx(0.1, abs=0.02)
    assert counts[None] / 5000 == pytest.approx(0.3, abs=0.02)


def test_no_fault_rates_draw_nothing() -> None:
    rng = random.Random(1)
    state = rng.getstate()
    assert choose_fault(rng, FaultSettings()) is None
    assert rng.getstate() == state


def _lengths(seed: int, name: str) -> list[int]:
    deployment = Deployment(SimDeployment(name=name), seed, lambda: 0.0)
    settings = deployment.settings.completion
    return [plan_completion(deployment.rng, settings, None).tokens for _ in range(20)]


def test_each_deployment_has_its_own_seeded_generator() -> None:
    assert _lengths(1, "a") == _lengths(1, "a")
    assert _lengths(1, "a") != _lengths(2, "a")
    assert _lengths(1, "a") != _lengths(1, "b")


def test_lookup_prefers_deployment_names_then_the_first_of_a_model() -> None:
    first = Deployment(SimDeployment(name="one", model="gpt-4o"), 0, lambda: 0.0)
    second = Deployment(SimDeployment(name="gpt-4o", model="other"), 0, lambda: 0.0)
    third = Deployment(SimDeployment(name="three", model="gpt-4o"), 0, lambda: 0.0)
    deployments = Deployments([first, second, third])
    assert deployments.find("gpt-4o") is second
    assert deployments.find("three") is third
    assert deployments.find("other") is second
    assert deployments.find("missing") is None
    assert deployments.by_deployment_name("other") is None
    assert deployments.model_ids() == ["one", "gpt-4o", "three", "other"]
