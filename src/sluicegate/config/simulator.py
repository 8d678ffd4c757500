"""Settings of the simulator: simulated Azure OpenAI / OpenAI deployments, read from YAML.

Same rules as the gateway's settings: strict, frozen, and a wrong file names the key and the fix.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sluicegate.config.strict import Strict


class LatencySettings(Strict):
    """Time to first token = ttft_ms + ttft_ms_per_prompt_token * prompt tokens, then a rate."""

    ttft_ms: float = Field(default=0.0, ge=0)
    ttft_ms_per_prompt_token: float = Field(default=0.0, ge=0)
    tokens_per_second: float | None = Field(default=None, ge=0)
    """Generation speed after the first token; 0 or unset sends every token at once."""


class CompletionSettings(Strict):
    """Completion length drawn uniformly from mean_tokens * (1 ± spread), capped by max_tokens."""

    mean_tokens: int = Field(default=120, ge=1)
    spread: float = Field(default=0.5, ge=0, le=1)


class FaultSettings(Strict):
    """Probability per request of each fault; they are exclusive, so they add up to at most 1."""

    error_rate: float = Field(default=0.0, ge=0, le=1)
    """Answer 500 with an error body."""
    reset_rate: float = Field(default=0.0, ge=0, le=1)
    """Close the connection without answering."""
    drop_rate: float = Field(default=0.0, ge=0, le=1)
    """Send part of the reply, then close the connection."""
    hang_rate: float = Field(default=0.0, ge=0, le=1)
    """Never answer, until the client goes away."""

    @model_validator(mode="after")
    def _at_most_one(self) -> FaultSettings:
        total = self.error_rate + self.reset_rate + self.drop_rate + self.hang_rate
        if total > 1.0 + 1e-9:
            raise ValueError(
                f"error_rate + reset_rate + drop_rate + hang_rate is {total:g}; faults are "
                "exclusive per request, so lower them to add up to at most 1"
            )
        return self


class SimDeployment(Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    """The Azure deployment name; OpenAI-style requests may also name it as `model`."""
    model: str = Field(default="", min_length=1)
    """The model name reported in replies (and accepted as `model`); defaults to `name`."""
    kind: Literal["ptu", "paygo"] = "paygo"
    capacity_tpm: int | None = Field(default=None, ge=1)
    """ptu only: tokens per minute the deployment serves (prompt + completion)."""
    tpm: int | None = Field(default=None, ge=1)
    """paygo only: tokens-per-minute limit; unset means unlimited."""
    rpm: int | None = Field(default=None, ge=1)
    """paygo only: requests-per-minute limit; unset means unlimited."""
    window_seconds: float = Field(default=60.0, gt=0, le=3600)
    """Length of the sliding window the limits are counted over (limits scale with it)."""
    latency: LatencySettings = LatencySettings()
    completion: CompletionSettings = CompletionSettings()
    faults: FaultSettings = FaultSettings()
    embedding_dimensions: int = Field(default=256, ge=1, le=8192)

    @model_validator(mode="before")
    @classmethod
    def _model_defaults_to_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("model") is None and "name" in data:
            return {**data, "model": data["name"]}
        return data

    @model_validator(mode="after")
    def _limits_match_kind(self) -> SimDeployment:
        if self.kind == "ptu":
            if self.capacity_tpm is None:
                raise ValueError(
                    f"deployment '{self.name}' is kind: ptu and needs 'capacity_tpm' "
                    "(tokens per minute it can serve), e.g. capacity_tpm: 60000"
                )
            if self.tpm is not None or self.rpm is not None:
                raise ValueError(
                    f"deployment '{self.name}': 'tpm' and 'rpm' apply to kind: paygo; "
                    "a ptu deployment is sized by 'capacity_tpm' only, so remove them"
                )
        elif self.capacity_tpm is not None:
            raise ValueError(
                f"deployment '{self.name}': 'capacity_tpm' applies to kind: ptu; "
                "for kind: paygo use 'tpm' and 'rpm', or set kind: ptu"
            )
        return self


class SimulatorConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)
    """0 picks a free port."""
    seed: int = 0
    """Seeds completion lengths, generated words and faults, so runs repeat."""
    deployments: list[SimDeployment] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> SimulatorConfig:
        names = [deployment.name for deployment in self.deployments]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(
                f"deployment names must be unique; repeated: {', '.join(duplicates)}; "
                "rename one of them"
            )
        return self


def zero_latency(config: SimulatorConfig) -> SimulatorConfig:
    """A copy of `config` whose deployments answer at once (for benchmarks of the gateway)."""
    instant = LatencySettings()
    return config.model_copy(
        update={
            "deployments": [
                deployment.model_copy(update={"latency": instant})
                for deployment in config.deployments
            ]
        }
    )


def zero_latency_config(
    names: tuple[str, ...] = ("gpt-4o-mini",), *, host: str = "127.0.0.1", port: int = 0
) -> SimulatorConfig:
    """Unlimited, fault-free, instant paygo deployments: the cheapest backend to measure against."""
    return SimulatorConfig(
        host=host,
        port=port,
        deployments=[SimDeployment(name=name) for name in names],
    )
