"""The price table: what each model's tokens cost, and what provisioned throughput costs.

Prices are list prices in USD per million tokens, keyed by model route (a key of `models`),
with `*` for every route not listed. A PTU deployment is prepaid by the hour; a request it
served is charged its share of that capacity (see `docs/configuration.md`, "Cost and budgets").
"""

from __future__ import annotations

from pydantic import Field, model_validator

from sluicegate.config.strict import Strict


class ModelPrice(Strict):
    input_per_1m: float = Field(ge=0, allow_inf_nan=False)
    """USD per million prompt tokens."""
    cached_input_per_1m: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """USD per million prompt tokens served from the provider's prompt cache; unset means the
    input price."""
    output_per_1m: float = Field(ge=0, allow_inf_nan=False)
    """USD per million completion tokens."""

    @model_validator(mode="after")
    def _cache_is_not_dearer(self) -> ModelPrice:
        if self.cached_input_per_1m is not None and self.cached_input_per_1m > self.input_per_1m:
            raise ValueError(
                "cached_input_per_1m is above input_per_1m; providers price cached prompt "
                "tokens at or below the input price"
            )
        return self

    @property
    def cached_input(self) -> float:
        return self.input_per_1m if self.cached_input_per_1m is None else self.cached_input_per_1m


class PricingSettings(Strict):
    models: dict[str, ModelPrice] = Field(default_factory=dict)
    """Keyed by model route or `*`. A route with no price (and no `*`) costs nothing, and a
    budget cannot limit it."""
    ptu_unit_hour_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """The price of one provisioned throughput unit for one hour; with `ptu_units` and `tpm`
    on a PTU backend, each request it serves is charged its share of that capacity."""
