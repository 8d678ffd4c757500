"""From the name a client asks for (model, alias, Azure deployment) to the pool that serves it.

Everything is resolved at start-up into one dict, so a request costs a single lookup.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass

from sluicegate.config.settings import CATCH_ALL, GatewayConfig
from sluicegate.core.backend import Backend
from sluicegate.core.clock import Clock
from sluicegate.core.cooldown import CooldownStore
from sluicegate.routing.pool import PoolMember, PriorityPool


@dataclass(frozen=True, slots=True)
class Route:
    """A configured model (`name` is its key in `models`, `*` for the catch-all) and its pool."""

    name: str
    pool: PriorityPool


class Router:
    """Resolves client-facing names to routes; names not configured go to the `*` route."""

    __slots__ = ("_catch_all", "_names", "_pools", "_routes")

    def __init__(self, routes: Mapping[str, Route], pools: Mapping[str, PriorityPool]) -> None:
        """`routes` maps every client-facing name (aliases included, `*` optional) to a Route."""
        self._routes = dict(routes)
        self._catch_all = self._routes.pop(CATCH_ALL, None)
        self._names = tuple(self._routes)
        self._pools = dict(pools)

    def resolve(self, name: str) -> Route | None:
        """The route for `name`, else the catch-all route, else None (the model is unknown)."""
        route = self._routes.get(name)
        return route if route is not None else self._catch_all

    def names(self) -> tuple[str, ...]:
        """Every name a client may ask for by name (for `GET /v1/models`); `*` is not one."""
        return self._names

    def pools(self) -> Mapping[str, PriorityPool]:
        return self._pools

    async def close(self) -> None:
        """Close every backend once, even one that sits in several pools."""
        backends: dict[int, Backend] = {}
        for pool in self._pools.values():
            for member in pool.members:
                backends.setdefault(id(member.backend), member.backend)
        results = await asyncio.gather(
            *(backend.close() for backend in backends.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result


def build_router(
    config: GatewayConfig,
    backends: Mapping[str, Backend],
    *,
    clock: Clock,
    store: CooldownStore,
    rng: random.Random,
) -> Router:
    """One PriorityPool per configured pool, and every model name and alias routed to one.

    A member's priority and weight come from the pool entry, else from the backend's settings.
    """
    settings = {backend.name: backend for backend in config.backends}
    pools: dict[str, PriorityPool] = {}
    for pool_name, pool_settings in config.pools.items():
        members: list[PoolMember] = []
        for entry in pool_settings.members:
            backend = backends.get(entry.backend)
            if backend is None:
                raise ValueError(
                    f"pool '{pool_name}' names backend '{entry.backend}', but no such backend "
                    "was built; build one Backend per entry of `backends`"
                )
            defaults = settings[entry.backend]
            members.append(
                PoolMember(
                    backend=backend,
                    priority=entry.priority if entry.priority is not None else defaults.priority,
                    weight=entry.weight if entry.weight is not None else defaults.weight,
                    kind=defaults.kind,
                    region=defaults.region,
                )
            )
        pools[pool_name] = PriorityPool(
            pool_name, members, config.routing, clock=clock, store=store, rng=rng
        )
    routes: dict[str, Route] = {}
    for model_name, model in config.models.items():
        route = Route(model_name, pools[model.pool])
        for name in (model_name, *model.aliases):
            routes[name] = route
    return Router(routes, pools)
