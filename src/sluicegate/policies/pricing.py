"""What a request costs, from the price table: after the reply, and at worst before it.

Pay-as-you-go backends are billed per token at list price: uncached prompt tokens at the input
price, cached ones at the cached-input price, completion tokens at the output price. A PTU
backend is prepaid by the hour, so a request it served is charged its share of that capacity:
`tokens × ptu_units × ptu_unit_hour_usd / (tpm × 60)`, the cost per token when the deployment
runs full. Before the call the backend is not known yet, so budgets reserve the worst case:
every token at the dearer of the route's pay-as-you-go price and any PTU share price.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sluicegate.config.pricing import ModelPrice, PricingSettings
from sluicegate.config.settings import CATCH_ALL, BackendSettings
from sluicegate.core.exchange import Exchange

PER_TOKEN = 1e-6
"""Prices are per million tokens."""
PTU = "ptu"
PAYGO = "paygo"


class Pricer:
    """Prices exchanges; shared by the usage ledger and the budgets, so both agree."""

    __slots__ = ("_catch_all", "_kinds", "_prices", "_ptu_per_token", "_route_ptu")

    def __init__(
        self,
        pricing: PricingSettings,
        backends: Sequence[BackendSettings],
        route_backends: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        """`route_backends` names the backends each route may be served by (its pool), so a
        worst case counts only PTU backends the route can reach; None assumes every one."""
        self._prices = dict(pricing.models)
        self._catch_all = self._prices.pop(CATCH_ALL, None)
        self._kinds = {backend.name: backend.kind for backend in backends}
        self._ptu_per_token: dict[str, float] = {}
        unit_hour = pricing.ptu_unit_hour_usd
        for backend in backends:
            if backend.kind != PTU or unit_hour is None:
                continue
            if backend.ptu_units is not None and backend.tpm is not None:
                hourly = backend.ptu_units * unit_hour
                self._ptu_per_token[backend.name] = hourly / (backend.tpm * 60)
        self._route_ptu: dict[str, float] | None = None
        if route_backends is not None:
            self._route_ptu = {
                route: max((self._ptu_per_token.get(name, 0.0) for name in names), default=0.0)
                for route, names in route_backends.items()
            }

    def price_of(self, route: str) -> ModelPrice | None:
        return self._prices.get(route, self._catch_all)

    def billing(self, backend: str | None) -> str | None:
        """`ptu` or `paygo` for a configured backend; None when none served the request."""
        return self._kinds.get(backend) if backend is not None else None

    def cost(self, exchange: Exchange) -> float:
        """USD for the finished exchange's real usage on the backend that served it."""
        usage = exchange.usage
        backend = exchange.served_by
        if usage is None or backend is None:
            return 0.0
        if self._kinds.get(backend) == PTU:
            per_token = self._ptu_per_token.get(backend, 0.0)
            return (usage.prompt_tokens + usage.completion_tokens) * per_token
        price = self.price_of(exchange.route)
        if price is None:
            return 0.0
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        return PER_TOKEN * (
            (usage.prompt_tokens - cached) * price.input_per_1m
            + cached * price.cached_input
            + usage.completion_tokens * price.output_per_1m
        )

    def worst_case(self, route: str, prompt_tokens: int, completion_tokens: int) -> float:
        """The most the request can cost wherever it is served: each token at the dearer of the
        route's pay-as-you-go price and the dearest PTU share price."""
        price = self.price_of(route)
        if price is None:
            return 0.0
        if self._route_ptu is None:
            ptu = max(self._ptu_per_token.values(), default=0.0)
        else:
            ptu = self._route_ptu.get(route, 0.0)
        return prompt_tokens * max(PER_TOKEN * price.input_per_1m, ptu) + completion_tokens * max(
            PER_TOKEN * price.output_per_1m, ptu
        )
