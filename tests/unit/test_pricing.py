"""Pricer: what a finished request cost, and the most it could cost; the price table's config."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from tests.exchanges import make_exchange

from sluicegate.config.pricing import ModelPrice, PricingSettings
from sluicegate.config.settings import BackendSettings, GatewayConfig
from sluicegate.core.exchange import Exchange, Usage
from sluicegate.policies.pricing import Pricer


def backend(name: str, kind: str = "paygo", **fields: Any) -> BackendSettings:
    return BackendSettings.model_validate(
        {"name": name, "url": f"https://{name}.example.com", "kind": kind, **fields}
    )


BACKENDS = [
    backend("paygo-west"),
    backend("ptu-east", "ptu", tpm=60_000, ptu_units=50),
    backend("ptu-no-units", "ptu", tpm=60_000),
    backend("ptu-no-tpm", "ptu", ptu_units=50),
]
PRICING = PricingSettings.model_validate(
    {
        "models": {
            "gpt-4o": {"input_per_1m": 2.5, "cached_input_per_1m": 1.25, "output_per_1m": 10.0},
            "gpt-4o-mini": {"input_per_1m": 0.15, "output_per_1m": 0.6},
            "*": {"input_per_1m": 1.0, "output_per_1m": 2.0},
        },
        "ptu_unit_hour_usd": 1.0,
    }
)


def finished(
    route: str = "gpt-4o",
    served_by: str | None = "paygo-west",
    prompt: int = 0,
    completion: int = 0,
    cached: int = 0,
    usage: bool = True,
) -> Exchange:
    return make_exchange(
        route=route,
        served_by=served_by,
        usage=Usage(prompt, completion, prompt + completion, cached) if usage else None,
    )


@pytest.fixture
def pricer() -> Pricer:
    return Pricer(PRICING, BACKENDS)


# --- pay as you go -----------------------------------------------------------------------------


def test_paygo_prices_prompt_and_completion_tokens(pricer: Pricer) -> None:
    cost = pricer.cost(finished(prompt=1_000, completion=500))
    assert cost == pytest.approx((1_000 * 2.5 + 500 * 10.0) / 1e6)


def test_cached_prompt_tokens_cost_the_cached_price(pricer: Pricer) -> None:
    cost = pricer.cost(finished(prompt=1_000, completion=500, cached=400))
    assert cost == pytest.approx((600 * 2.5 + 400 * 1.25 + 500 * 10.0) / 1e6)


def test_without_a_cached_price_cached_tokens_cost_the_input_price(pricer: Pricer) -> None:
    with_cache = pricer.cost(finished("gpt-4o-mini", prompt=1_000, completion=100, cached=800))
    without = pricer.cost(finished("gpt-4o-mini", prompt=1_000, completion=100))
    assert with_cache == without == pytest.approx((1_000 * 0.15 + 100 * 0.6) / 1e6)


def test_cached_tokens_beyond_the_prompt_are_not_credited(pricer: Pricer) -> None:
    cost = pricer.cost(finished(prompt=100, completion=0, cached=5_000))
    assert cost == pytest.approx(100 * 1.25 / 1e6)


def test_a_free_cached_price_is_honoured() -> None:
    pricing = PricingSettings.model_validate(
        {"models": {"m": {"input_per_1m": 3.0, "cached_input_per_1m": 0, "output_per_1m": 0}}}
    )
    pricer = Pricer(pricing, BACKENDS)
    assert pricer.cost(finished("m", prompt=1_000, cached=1_000)) == 0.0
    assert pricer.cost(finished("m", prompt=1_000, cached=400)) == pytest.approx(600 * 3.0 / 1e6)


def test_routes_without_a_price_fall_back_to_the_catch_all(pricer: Pricer) -> None:
    cost = pricer.cost(finished("llama", prompt=1_000, completion=1_000))
    assert cost == pytest.approx((1_000 * 1.0 + 1_000 * 2.0) / 1e6)
    assert pricer.price_of("llama") == PRICING.models["*"]
    assert pricer.price_of("gpt-4o") == PRICING.models["gpt-4o"]


def test_a_route_with_no_price_and_no_catch_all_costs_nothing() -> None:
    pricing = PricingSettings.model_validate(
        {"models": {"gpt-4o": {"input_per_1m": 2.5, "output_per_1m": 10.0}}}
    )
    pricer = Pricer(pricing, BACKENDS)
    assert pricer.price_of("llama") is None
    assert pricer.cost(finished("llama", prompt=1_000, completion=1_000)) == 0.0
    assert pricer.worst_case("llama", 1_000, 1_000) == 0.0
    assert pricer.cost(finished("gpt-4o", prompt=1_000)) == pytest.approx(0.0025)


def test_an_empty_price_table_prices_everything_at_zero() -> None:
    pricer = Pricer(PricingSettings(), BACKENDS)
    assert pricer.cost(finished(prompt=10_000, completion=10_000)) == 0.0
    assert pricer.cost(finished(served_by="ptu-east", prompt=10_000)) == 0.0
    assert pricer.worst_case("gpt-4o", 10_000, 10_000) == 0.0


def test_a_backend_not_in_the_config_is_priced_as_paygo(pricer: Pricer) -> None:
    cost = pricer.cost(finished(served_by="retired", prompt=1_000))
    assert cost == pytest.approx(1_000 * 2.5 / 1e6)
    assert pricer.billing("retired") is None


# --- provisioned throughput ---------------------------------------------------------------------


def test_ptu_is_charged_its_share_of_the_capacity(pricer: Pricer) -> None:
    # 50 units at $1 per unit-hour buy 60,000 tokens a minute: $50 / 3.6M tokens.
    cost = pricer.cost(finished(served_by="ptu-east", prompt=3_000, completion=600, cached=1_000))
    assert cost == pytest.approx(3_600 * 50 * 1.0 / (60_000 * 60))
    assert cost == pytest.approx(0.05)


def test_ptu_cost_ignores_the_route_price(pricer: Pricer) -> None:
    mini = pricer.cost(finished("gpt-4o-mini", served_by="ptu-east", prompt=1_000))
    full = pricer.cost(finished("gpt-4o", served_by="ptu-east", prompt=1_000))
    unpriced = pricer.cost(finished("anything", served_by="ptu-east", prompt=1_000))
    assert mini == full == unpriced == pytest.approx(1_000 * 50 / 3_600_000)


@pytest.mark.parametrize("name", ["ptu-no-units", "ptu-no-tpm"])
def test_ptu_without_units_or_tpm_costs_nothing(pricer: Pricer, name: str) -> None:
    assert pricer.cost(finished(served_by=name, prompt=1_000, completion=1_000)) == 0.0


def test_ptu_without_a_unit_price_costs_nothing() -> None:
    pricing = PricingSettings.model_validate({"models": PRICING.model_dump()["models"]})
    pricer = Pricer(pricing, BACKENDS)
    assert pricer.cost(finished(served_by="ptu-east", prompt=1_000, completion=1_000)) == 0.0
    assert pricer.cost(finished(prompt=1_000)) == pytest.approx(0.0025)  # paygo still priced


def test_billing_names_the_kind_of_the_serving_backend(pricer: Pricer) -> None:
    assert pricer.billing("ptu-east") == "ptu"
    assert pricer.billing("paygo-west") == "paygo"
    assert pricer.billing(None) is None


# --- nothing to price ---------------------------------------------------------------------------


def test_no_usage_costs_nothing(pricer: Pricer) -> None:
    assert pricer.cost(finished(usage=False)) == 0.0
    assert pricer.cost(finished(served_by="ptu-east", usage=False)) == 0.0


def test_no_backend_costs_nothing(pricer: Pricer) -> None:
    assert pricer.cost(finished(served_by=None, prompt=1_000, completion=1_000)) == 0.0


def test_zero_tokens_cost_nothing(pricer: Pricer) -> None:
    assert pricer.cost(finished()) == 0.0


# --- worst case ----------------------------------------------------------------------------------


def test_worst_case_prices_every_token_at_the_paygo_price_without_ptu_in_reach() -> None:
    pricer = Pricer(PRICING, BACKENDS, {"gpt-4o": ["paygo-west"], "llama": ["paygo-west"]})
    assert pricer.worst_case("gpt-4o", 1_000, 500) == pytest.approx((2_500 + 5_000) / 1e6)
    assert pricer.worst_case("llama", 1_000, 500) == pytest.approx((1_000 + 1_000) / 1e6)
    assert pricer.worst_case("gpt-4o", 0, 0) == 0.0


def test_worst_case_counts_a_dearer_ptu_share_the_route_can_reach() -> None:
    ptu_per_token = 50 * 1.0 / (60_000 * 60)  # $13.9 per 1M tokens: above both gpt-4o prices
    pricer = Pricer(PRICING, BACKENDS, {"gpt-4o": ["paygo-west", "ptu-east"]})
    expected = 1_500 * ptu_per_token
    assert pricer.worst_case("gpt-4o", 1_000, 500) == pytest.approx(expected)
    served_by_ptu = finished(served_by="ptu-east", prompt=1_000, completion=500)
    assert pricer.cost(served_by_ptu) <= pricer.worst_case("gpt-4o", 1_000, 500)
    everywhere = Pricer(PRICING, BACKENDS)  # no routes given: every PTU backend may serve
    assert everywhere.worst_case("gpt-4o", 1_000, 500) == pytest.approx(expected)


@pytest.mark.parametrize("cached", [0, 300, 1_000])
@pytest.mark.parametrize("completion", [0, 1, 512])
def test_a_paygo_request_never_costs_more_than_its_worst_case(
    pricer: Pricer, cached: int, completion: int
) -> None:
    worst = pricer.worst_case("gpt-4o", 1_000, completion)
    assert pricer.cost(finished(prompt=1_000, completion=completion, cached=cached)) <= worst
    # Using fewer tokens than estimated costs less.
    assert pricer.cost(finished(prompt=900, completion=max(0, completion - 1))) <= worst


# --- configuration -------------------------------------------------------------------------------


def test_model_price_defaults_and_bounds() -> None:
    price = ModelPrice(input_per_1m=2.0, output_per_1m=8.0)
    assert price.cached_input == 2.0
    assert (
        ModelPrice(input_per_1m=2.0, cached_input_per_1m=0.5, output_per_1m=8.0).cached_input == 0.5
    )
    for field in ("input_per_1m", "cached_input_per_1m", "output_per_1m"):
        values: dict[str, float] = {"input_per_1m": 1.0, "output_per_1m": 1.0, field: -0.01}
        with pytest.raises(ValidationError, match=field):
            ModelPrice.model_validate(values)
    with pytest.raises(ValidationError, match="output_per_1m"):
        ModelPrice.model_validate({"input_per_1m": 1.0})
    with pytest.raises(ValidationError, match="ptu_unit_hour_usd"):
        PricingSettings.model_validate({"ptu_unit_hour_usd": -1})
    with pytest.raises(ValidationError, match="extra"):
        ModelPrice.model_validate({"input_per_1m": 1, "output_per_1m": 1, "cache_per_1m": 1})


def gateway(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "backends": [
            {"name": "ptu-east", "url": "https://east.example.com", "kind": "ptu"},
            {"name": "paygo-west", "url": "https://west.example.com"},
        ],
        "pools": {"main": {"members": [{"backend": "ptu-east"}, {"backend": "paygo-west"}]}},
        "models": {
            "gpt-4o": {"pool": "main", "aliases": ["gpt-4o-2024-08-06"]},
            "gpt-4o-mini": {"pool": "main"},
        },
    }
    document.update(changes)
    return document


PRICE = {"input_per_1m": 2.5, "output_per_1m": 10.0}


def test_a_valid_price_table_loads() -> None:
    config = GatewayConfig.model_validate(
        gateway(
            pricing={"models": {"gpt-4o": PRICE, "*": PRICE}, "ptu_unit_hour_usd": 2.0},
            backends=[
                {
                    "name": "ptu-east",
                    "url": "https://e.example.com",
                    "kind": "ptu",
                    "ptu_units": 100,
                    "tpm": 150_000,
                },
                {"name": "paygo-west", "url": "https://w.example.com"},
            ],
        )
    )
    assert config.pricing.ptu_unit_hour_usd == 2.0
    assert config.backends[0].ptu_units == 100
    assert set(config.pricing.models) == {"gpt-4o", "*"}
    assert GatewayConfig.model_validate(gateway()).pricing == PricingSettings()


@pytest.mark.parametrize("priced", ["gpt-5", "gpt-4o-2024-08-06"])
def test_pricing_must_name_a_route_or_the_catch_all(priced: str) -> None:
    with pytest.raises(ValidationError) as caught:
        GatewayConfig.model_validate(gateway(pricing={"models": {priced: PRICE}}))
    message = str(caught.value)
    assert f"pricing.models names '{priced}', which is not a model route" in message
    assert "routes: gpt-4o, gpt-4o-mini" in message
    assert "'*'" in message


@pytest.mark.parametrize("kind", ["paygo", None])
def test_ptu_units_only_on_ptu_backends(kind: str | None) -> None:
    west: dict[str, Any] = {"name": "paygo-west", "url": "https://w.example.com", "ptu_units": 5}
    if kind is not None:
        west["kind"] = kind
    backends = [{"name": "ptu-east", "url": "https://e.example.com", "kind": "ptu"}, west]
    with pytest.raises(ValidationError) as caught:
        GatewayConfig.model_validate(gateway(backends=backends))
    message = str(caught.value)
    assert "backend 'paygo-west' sets ptu_units but is kind 'paygo'" in message
    assert "ptu_units applies to kind: ptu" in message


@pytest.mark.parametrize("units", [0, -1])
def test_ptu_units_are_positive(units: int) -> None:
    with pytest.raises(ValidationError, match="ptu_units"):
        backend("ptu-east", "ptu", ptu_units=units)
