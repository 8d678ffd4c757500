"""Router: client-facing names to pools, and build_router from a GatewayConfig."""

from __future__ import annotations

import random
from typing import Any

import pytest

from sluicegate.config.settings import GatewayConfig
from sluicegate.core.backend import Backend
from sluicegate.core.clock import ManualClock
from sluicegate.core.exchange import Exchange
from sluicegate.core.reply import Reply
from sluicegate.routing.cooldown import MemoryCooldownStore
from sluicegate.routing.router import Router, build_router
from sluicegate.wire.endpoints import Endpoint


class FakeBackend:
    def __init__(self, name: str) -> None:
        self._name = name
        self.closes = 0

    @property
    def name(self) -> str:
        return self._name

    async def send(self, exchange: Exchange) -> Reply:
        return Reply(200)

    async def close(self) -> None:
        self.closes += 1


def config(models: dict[str, Any] | None = None) -> GatewayConfig:
    return GatewayConfig.model_validate(
        {
            "backends": [
                {
                    "name": "ptu-east",
                    "url": "https://east.example.com",
                    "api": "azure",
                    "deployment": "gpt-4o",
                    "kind": "ptu",
                    "region": "eastus",
                },
                {
                    "name": "paygo-west",
                    "url": "https://west.example.com",
                    "priority": 2,
                    "weight": 3.0,
                    "region": "westus",
                },
                {"name": "mini", "url": "https://mini.example.com"},
            ],
            "pools": {
                "gpt-4o": {"members": [{"backend": "ptu-east"}, {"backend": "paygo-west"}]},
                "small": {
                    "members": [
                        {"backend": "mini", "priority": 3, "weight": 0.5},
                        {"backend": "paygo-west", "priority": 1},
                    ]
                },
            },
            "models": models
            if models is not None
            else {
                "gpt-4o": {"pool": "gpt-4o", "aliases": ["gpt-4o-2024-08-06", "my-deployment"]},
                "*": {"pool": "small"},
            },
        }
    )


def backends_for(cfg: GatewayConfig) -> dict[str, FakeBackend]:
    return {backend.name: FakeBackend(backend.name) for backend in cfg.backends}


def build(
    cfg: GatewayConfig,
    backends: dict[str, FakeBackend] | None = None,
    clock: ManualClock | None = None,
) -> Router:
    built: dict[str, Backend] = dict(backends if backends is not None else backends_for(cfg))
    return build_router(
        cfg,
        built,
        clock=clock or ManualClock(),
        store=MemoryCooldownStore(),
        rng=random.Random(0),
    )


def test_model_name_and_aliases_reach_the_same_route() -> None:
    router = build(config())
    route = router.resolve("gpt-4o")
    assert route is not None
    assert route.name == "gpt-4o"
    assert route.pool is router.pools()["gpt-4o"]
    assert router.resolve("gpt-4o-2024-08-06") is route
    assert router.resolve("my-deployment") is route


def test_other_names_use_the_catch_all() -> None:
    router = build(config())
    route = router.resolve("llama-3")
    assert route is not None
    assert route.name == "*"
    assert route.pool is router.pools()["small"]


def test_unknown_name_without_catch_all_is_none() -> None:
    router = build(config({"gpt-4o": {"pool": "gpt-4o"}}))
    assert router.resolve("llama-3") is None
    assert router.resolve("GPT-4O") is None


def test_names_list_models_and_aliases_but_not_the_catch_all() -> None:
    router = build(config())
    assert router.names() == ("gpt-4o", "gpt-4o-2024-08-06", "my-deployment")


def test_one_pool_per_configured_pool_even_unused() -> None:
    router = build(config({"gpt-4o": {"pool": "gpt-4o"}}))
    assert sorted(router.pools()) == ["gpt-4o", "small"]


def test_member_settings_come_from_the_pool_entry_else_the_backend() -> None:
    router = build(config())
    big = {s.name: s for s in router.pools()["gpt-4o"].state()}
    assert (big["ptu-east"].priority, big["ptu-east"].weight) == (1, 1.0)
    assert (big["ptu-east"].kind, big["ptu-east"].region) == ("ptu", "eastus")
    assert (big["paygo-west"].priority, big["paygo-west"].weight) == (2, 3.0)
    assert (big["paygo-west"].kind, big["paygo-west"].region) == ("paygo", "westus")
    small = {s.name: s for s in router.pools()["small"].state()}
    assert (small["mini"].priority, small["mini"].weight) == (3, 0.5)
    assert (small["paygo-west"].priority, small["paygo-west"].weight) == (1, 3.0)


def test_pools_use_the_given_backend_objects() -> None:
    cfg = config()
    backends = backends_for(cfg)
    router = build(cfg, backends)
    members = router.pools()["gpt-4o"].members
    assert [m.backend for m in members] == [backends["ptu-east"], backends["paygo-west"]]


def test_missing_backend_object_is_a_clear_error() -> None:
    cfg = config()
    backends = backends_for(cfg)
    del backends["mini"]
    with pytest.raises(ValueError, match="pool 'small' names backend 'mini'"):
        build(cfg, backends)


async def test_close_closes_each_backend_once() -> None:
    cfg = config()
    backends = backends_for(cfg)
    router = build(cfg, backends)
    await router.close()
    assert {name: b.closes for name, b in backends.items()} == {
        "ptu-east": 1,
        "paygo-west": 1,
        "mini": 1,
    }


async def test_routed_pool_serves_from_its_first_priority() -> None:
    clock = ManualClock()
    router = build(config(), clock=clock)
    route = router.resolve("anything")
    assert route is not None
    exchange = Exchange(
        request_id="r",
        endpoint=Endpoint.CHAT,
        raw=b"{}",
        body={},
        model="anything",
        stream=False,
        include_usage=False,
        client_headers={},
        started_at=clock.now(),
        deadline=clock.now() + 60,
    )
    await route.pool.send(exchange)
    assert exchange.served_by == "paygo-west"
