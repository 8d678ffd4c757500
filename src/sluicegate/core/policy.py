"""Policies: the steps a request passes through on its way to a backend.

A policy continues (`await call_next(exchange)`), answers early with a Reply, or raises a
GatewayError. The chain is built once at start-up, not per request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Protocol

from sluicegate.core.exchange import Exchange
from sluicegate.core.reply import Reply

Handler = Callable[[Exchange], Awaitable[Reply]]


class Policy(Protocol):
    async def __call__(self, exchange: Exchange, call_next: Handler) -> Reply: ...


def build_chain(policies: Sequence[Policy], terminal: Handler) -> Handler:
    """Compose policies around `terminal`; the first policy runs first."""
    handler = terminal
    for policy in reversed(policies):
        handler = partial(policy, call_next=handler)
    return handler
