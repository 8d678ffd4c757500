"""One simulated deployment at run time: its settings, capacity, pacing, randomness, counters."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sluicegate.config.simulator import FaultSettings, SimDeployment
from sluicegate.simulator.capacity import Limiter, build_limiter
from sluicegate.simulator.latency import LatencyModel
from sluicegate.simulator.overrides import Fault


@dataclass(slots=True)
class DeploymentStats:
    """What a deployment has done since start-up or the last `POST /sim/reset`."""

    requests: int = 0
    """Replies with a 2xx status that were sent in full."""
    throttled: int = 0
    """429s, whether from capacity or forced by a header."""
    errors: int = 0
    """Other error statuses (4xx and 5xx), forced or injected."""
    resets: int = 0
    drops: int = 0
    hangs: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    """Tokens of the replies counted in `requests`."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Deployment:
    """Run-time state of one configured deployment; requests reach it one at a time per loop."""

    __slots__ = ("latency", "limiter", "rng", "settings", "stats")

    def __init__(self, settings: SimDeployment, seed: int, now: Callable[[], float]) -> None:
        self.settings = settings
        self.limiter: Limiter = build_limiter(settings, now)
        self.latency = LatencyModel(settings.latency)
        self.rng = random.Random(f"{seed}:{settings.name}")
        self.stats = DeploymentStats()

    def sample_fault(self) -> Fault | None:
        return choose_fault(self.rng, self.settings.faults)

    def reset(self) -> None:
        self.limiter.clear()
        self.stats = DeploymentStats()

    def snapshot(self) -> dict[str, Any]:
        return {
            **self.stats.as_json(),
            "kind": self.settings.kind,
            "model": self.settings.model,
            "utilization": round(self.limiter.utilization(), 6),
        }


def choose_fault(rng: random.Random, faults: FaultSettings) -> Fault | None:
    """At most one fault per request, each with its configured probability."""
    rates = (
        (Fault.ERROR, faults.error_rate),
        (Fault.RESET, faults.reset_rate),
        (Fault.DROP, faults.drop_rate),
        (Fault.HANG, faults.hang_rate),
    )
    if not any(rate for _, rate in rates):
        return None
    draw = rng.random()
    for fault, rate in rates:
        if draw < rate:
            return fault
        draw -= rate
    return None


class Deployments:
    """Finds a deployment by Azure deployment name or, failing that, by model name."""

    __slots__ = ("_by_model", "_by_name")

    def __init__(self, deployments: Iterable[Deployment]) -> None:
        self._by_name: dict[str, Deployment] = {}
        self._by_model: dict[str, Deployment] = {}
        for deployment in deployments:
            self._by_name[deployment.settings.name] = deployment
            self._by_model.setdefault(deployment.settings.model, deployment)

    def find(self, name: str) -> Deployment | None:
        """The deployment called `name`, else the first one serving the model `name`."""
        return self._by_name.get(name) or self._by_model.get(name)

    def by_deployment_name(self, name: str) -> Deployment | None:
        return self._by_name.get(name)

    def __iter__(self) -> Iterator[Deployment]:
        return iter(self._by_name.values())

    def model_ids(self) -> list[str]:
        """Every name a client may use as `model`: deployment names, then other model names."""
        ids = list(self._by_name)
        ids.extend(model for model in self._by_model if model not in self._by_name)
        return ids
