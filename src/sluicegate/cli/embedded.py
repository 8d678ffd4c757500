"""The embedded default: two simulated Azure OpenAI deployments of one model behind the gateway.

A PTU deployment at priority 1 with a capacity small enough that a few concurrent clients see
spillover, and a pay-as-you-go deployment at priority 2 that takes the overflow. Priced at
gpt-4o's public list prices (and $1 per PTU-hour), so usage reports show real-looking costs.
"""

from __future__ import annotations

from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig

MODEL = "gpt-4o"
PTU_DEPLOYMENT = "gpt-4o-ptu"
PAYGO_DEPLOYMENT = "gpt-4o-paygo"
PTU_CAPACITY_TPM = 12_000
PTU_UNITS = 5
PRICING = {
    "ptu_unit_hour_usd": 1.0,
    "models": {MODEL: {"input_per_1m": 2.5, "cached_input_per_1m": 1.25, "output_per_1m": 10.0}},
}


def embedded_simulator_config(seed: int = 0) -> SimulatorConfig:
    latency = {"ttft_ms": 150, "ttft_ms_per_prompt_token": 0.2, "tokens_per_second": 120}
    return SimulatorConfig.model_validate(
        {
            "host": "127.0.0.1",
            "port": 0,
            "seed": seed,
            "deployments": [
                {
                    "name": PTU_DEPLOYMENT,
                    "model": MODEL,
                    "kind": "ptu",
                    "capacity_tpm": PTU_CAPACITY_TPM,
                    "window_seconds": 10,
                    "latency": latency,
                    "completion": {"mean_tokens": 60, "spread": 0.5},
                },
                {
                    "name": PAYGO_DEPLOYMENT,
                    "model": MODEL,
                    "kind": "paygo",
                    "tpm": 120_000,
                    "rpm": 720,
                    "window_seconds": 10,
                    "latency": latency,
                    "completion": {"mean_tokens": 60, "spread": 0.5},
                },
            ],
        }
    )


def embedded_gateway_config(simulator_url: str, host: str, port: int) -> GatewayConfig:
    def backend(name: str, kind: str, priority: int) -> dict[str, object]:
        return {
            "name": name,
            "url": simulator_url,
            "api": "azure",
            "deployment": name,
            "kind": kind,
            "priority": priority,
            "region": "local",
        }

    return GatewayConfig.model_validate(
        {
            "server": {"host": host, "port": port},
            "backends": [
                {
                    **backend(PTU_DEPLOYMENT, "ptu", 1),
                    "tpm": PTU_CAPACITY_TPM,
                    "ptu_units": PTU_UNITS,
                },
                backend(PAYGO_DEPLOYMENT, "paygo", 2),
            ],
            "pricing": PRICING,
            "pools": {
                MODEL: {"members": [{"backend": PTU_DEPLOYMENT}, {"backend": PAYGO_DEPLOYMENT}]}
            },
            "models": {MODEL: {"pool": MODEL}},
        }
    )


def upstream_gateway_config(
    url: str, host: str, port: int, auth: dict[str, object] | None
) -> GatewayConfig:
    """`serve --upstream URL`: one OpenAI-style backend that serves every model name."""
    return GatewayConfig.model_validate(
        {
            "server": {"host": host, "port": port},
            "backends": [{"name": "upstream", "url": url, "auth": auth or {"type": "none"}}],
            "pools": {"upstream": {"members": [{"backend": "upstream"}]}},
            "models": {"*": {"pool": "upstream"}},
        }
    )
