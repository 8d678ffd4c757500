"""What an evaluation's answers cost: USD per million input and output tokens per model, from a
YAML or JSON file, either under `models:` (as in the gateway's `pricing` settings) or as a bare
mapping. `*` prices every model not listed. Cached prompt tokens are charged at
`cached_input_per_1m` when the reply reports them."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from sluicegate.config.loader import load_yaml, parse_document
from sluicegate.config.pricing import ModelPrice
from sluicegate.config.strict import Strict
from sluicegate.evals.records import Usage


class PriceTable(Strict):
    models: dict[str, ModelPrice] = Field(min_length=1)

    def price(self, model: str) -> ModelPrice | None:
        return self.models.get(model) or self.models.get("*")

    def cost(self, model: str, usage: Usage) -> float | None:
        """USD for `usage`, or None when the model has no price."""
        price = self.price(model)
        if price is None:
            return None
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        return (
            (usage.prompt_tokens - cached) * price.input_per_1m
            + cached * price.cached_input
            + usage.completion_tokens * price.output_per_1m
        ) / 1_000_000


def load_prices(path: Path) -> PriceTable:
    """Raises `ConfigError` naming the file and key when it is wrong."""
    data = load_yaml(path)
    if isinstance(data, dict) and "models" not in data:
        data = {"models": data}
    return parse_document(data, PriceTable, None, str(path))
