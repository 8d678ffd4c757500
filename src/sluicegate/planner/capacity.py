"""The capacity table: per model, what a PTU carries and what PTU and PAYG tokens cost.

The defaults ship in `capacity.yaml` next to this module, with their sources; a user's copy
replaces them with `--capacity FILE`.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

from pydantic import Field

from sluicegate.config.strict import Strict
from sluicegate.planner.documents import load_document, parse_text
from sluicegate.planner.errors import PlanInputError

HOURS_PER_MONTH = 730.0
"""Azure's billing month (365 × 24 / 12)."""


class ModelCapacity(Strict):
    input_tpm_per_ptu: float = Field(gt=0)
    """Input (prompt) tokens per minute one PTU serves."""
    output_token_weight: float = Field(default=1.0, ge=1)
    """How many input tokens of capacity one output (completion) token uses."""
    minimum_ptus: int = Field(default=1, ge=1)
    """The smallest deployment."""
    increment_ptus: int = Field(default=1, ge=1)
    """Deployments grow from the minimum by this step."""
    ptu_hour_usd: float = Field(ge=0)
    """Price of one PTU for one hour (your effective price, reservations included)."""
    payg_input_usd_per_million: float = Field(ge=0)
    payg_output_usd_per_million: float = Field(ge=0)
    payg_tpm: int | None = Field(default=None, ge=1)
    """The PAYG deployment's tokens-per-minute quota; unset means unlimited."""
    payg_rpm: int | None = Field(default=None, ge=1)
    """The PAYG deployment's requests-per-minute quota; unset means unlimited."""

    def ptu_capacity_tpm(self, ptus: int) -> float:
        """Weighted tokens per minute `ptus` PTUs serve."""
        return ptus * self.input_tpm_per_ptu

    def weighted(self, prompt_tokens: int, completion_tokens: int) -> int:
        """The PTU capacity a request uses, in input tokens (rounded up to a whole token)."""
        return math.ceil(prompt_tokens + self.output_token_weight * completion_tokens - 1e-9)

    def payg_usd(self, prompt_tokens: float, completion_tokens: float) -> float:
        return (
            prompt_tokens * self.payg_input_usd_per_million
            + completion_tokens * self.payg_output_usd_per_million
        ) / 1e6

    def ptu_month_usd(self, ptus: int) -> float:
        return ptus * self.ptu_hour_usd * HOURS_PER_MONTH

    def round_ptus(self, exact: float) -> int:
        """The smallest deployable count carrying `exact` PTUs (0 when nothing is needed)."""
        if exact <= 0:
            return 0
        if exact <= self.minimum_ptus:
            return self.minimum_ptus
        steps = math.ceil((exact - self.minimum_ptus) / self.increment_ptus - 1e-9)
        return self.minimum_ptus + steps * self.increment_ptus


class CapacityTable(Strict):
    models: dict[str, ModelCapacity] = Field(min_length=1)

    def model(self, name: str, source: str) -> ModelCapacity:
        found = self.models.get(name)
        if found is None:
            known = ", ".join(sorted(self.models))
            raise PlanInputError(
                f"model {name!r} is not in the capacity table {source} (it has: {known}); "
                f"add it under `models:` (sluicegate plan --print-capacity shows the format) "
                f"and pass the file with --capacity"
            )
        return found


def default_capacity_text() -> str:
    return resources.files(__package__).joinpath("capacity.yaml").read_text(encoding="utf-8")


def load_capacity_table(path: Path | None) -> tuple[CapacityTable, str]:
    """The table at `path`, or the shipped defaults; with a name for messages."""
    if path is None:
        source = "(shipped defaults)"
        return parse_text(default_capacity_text(), CapacityTable, "capacity table", source), source
    return load_document(path, CapacityTable, "capacity table"), str(path)
