"""The embedded default: two simulated Azure OpenAI deployments of one model behind the gateway.

A PTU deployment at priority 1 with a capacity small enough that a few concurrent clients see
spillover, and a pay-as-you-go deployment at priority 2 that takes the overflow.
"""

from __future__ import annotations

from sluicegate.config.settings import GatewayConfig
from sluicegate.config.simulator import SimulatorConfig

MODEL = "gpt-4o"
PTU_DEPLOYMENT = "gpt-4o-ptu"
PAYGO_DEPLOYMENT = "gpt-4o-paygo"


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
                    "capacity_tpm": 12_000,
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
                backend(PTU_DEPLOYMENT, "ptu", 1),
                backend(PAYGO_DEPLOYMENT, "paygo", 2),
            ],
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
