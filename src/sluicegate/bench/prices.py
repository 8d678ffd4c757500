"""The price table a benchmark's cost is computed with: USD per million input and output
tokens per model, from a YAML or JSON file, either under `models:` (as in the gateway's
`pricing` settings) or as a bare mapping. `*` prices every model not listed."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from sluicegate.config.loader import load_yaml, parse_document
from sluicegate.config.pricing import ModelPrice
from sluicegate.config.strict import Strict


class PriceTable(Strict):
    models: dict[str, ModelPrice] = Field(min_length=1)

    def price(self, model: str) -> ModelPrice | None:
        return self.models.get(model) or self.models.get("*")


def load_prices(path: Path) -> PriceTable:
    """Raises `ConfigError` naming the file and key when it is wrong."""
    data = load_yaml(path)
    if isinstance(data, dict) and "models" not in data:
        data = {"models": data}
    return parse_document(data, PriceTable, None, str(path))
