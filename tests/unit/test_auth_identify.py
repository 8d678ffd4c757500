"""Authenticating before the model is known (requests that name a prompt template): the same
refusals as the chain, and the chain then checks the model without a second credential check."""

from __future__ import annotations

import logging

import pytest
from tests.unit.auth_tokens import make_exchange
from tests.unit.test_auth_policy import Keys, Terminal, chain, key_policy

from sluicegate.core.errors import AuthenticationFailed, PermissionDenied
from sluicegate.core.identity import KeyRecord
from sluicegate.policies.api_keys import generate_key
from sluicegate.stores.keys_memory import MemoryKeyStore


class CountingStore(MemoryKeyStore):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    async def find_by_hash(self, key_hash: str) -> KeyRecord | None:
        self.lookups += 1
        return await super().find_by_hash(key_hash)


async def test_identify_then_chain_checks_the_credential_once() -> None:
    keys = Keys()
    keys.store = store = CountingStore()
    key, record = await keys.issue()
    policy = key_policy(keys, key_cache_seconds=0)
    exchange = make_exchange({"api-key": key})
    await policy.identify(exchange)
    assert exchange.principal is not None
    assert exchange.principal.subject == record.key_id
    terminal = Terminal()
    reply = await chain(policy, terminal)(exchange)
    assert reply.status == 200
    assert terminal.seen == [exchange.principal]
    assert store.lookups == 1


async def test_identify_refuses_a_bad_credential_with_401() -> None:
    keys = Keys()
    for headers in ({}, {"api-key": generate_key()[0]}):
        exchange = make_exchange(headers)
        with pytest.raises(AuthenticationFailed):
            await key_policy(keys).identify(exchange)
        assert exchange.principal is None


async def test_the_model_is_still_checked_after_identify() -> None:
    keys = Keys()
    key, _ = await keys.issue(models=frozenset({"gpt-4o-mini"}))
    policy = key_policy(keys)
    exchange = make_exchange({"api-key": key}, model="gpt-4o", route="gpt-4o")
    await policy.identify(exchange)
    with pytest.raises(PermissionDenied):
        await chain(policy, Terminal())(exchange)


async def test_shadow_mode_lets_an_unidentified_caller_pass_logging_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = key_policy(Keys(), mode="shadow")
    exchange = make_exchange({})
    caplog.set_level(logging.WARNING, logger="sluicegate.auth")
    await policy.identify(exchange)
    terminal = Terminal()
    assert (await chain(policy, terminal)(exchange)).status == 200
    assert terminal.seen[0] is not None
    assert terminal.seen[0].subject == "anonymous"
    assert len([r for r in caplog.records if "shadow mode" in r.getMessage()]) == 1


async def test_with_authentication_off_identify_makes_the_anonymous_admin() -> None:
    policy = key_policy(Keys(), enabled=False)
    exchange = make_exchange({})
    await policy.identify(exchange)
    assert exchange.principal is not None
    assert exchange.principal.via == "anonymous"
