"""The auth policy in a chain: credentials → principal, role and model checks, modes."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.unit.auth_tokens import AUDIENCE, ISSUER, Signer, claims, jwks, make_exchange

from sluicegate.config.auth import AuthSettings
from sluicegate.config.loader import ConfigError
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import (
    AuthenticationFailed,
    GatewayError,
    PermissionDenied,
    ServiceUnavailable,
)
from sluicegate.core.exchange import Exchange
from sluicegate.core.identity import KeyRecord, Limits, Principal, Role, TeamRecord
from sluicegate.core.policy import Handler, build_chain
from sluicegate.core.reply import Reply
from sluicegate.policies.api_keys import generate_key, hash_key
from sluicegate.policies.auth import AuthPolicy, authorize, build_auth_policy
from sluicegate.stores.keys_memory import MemoryKeyStore

NOW = datetime.fromtimestamp(ManualClock().wall(), UTC)


class Terminal:
    """Records the principal each request reached the backend with."""

    def __init__(self) -> None:
        self.seen: list[Principal | None] = []

    async def __call__(self, exchange: Exchange) -> Reply:
        self.seen.append(exchange.principal)
        return Reply(200, body=b"ok")


class Keys:
    def __init__(self) -> None:
        self.store = MemoryKeyStore()
        self.clock = ManualClock()

    async def issue(
        self, *, role: Role = Role.APP, models: frozenset[str] = frozenset(), **extra: object
    ) -> tuple[str, KeyRecord]:
        key, key_id = generate_key()
        record = KeyRecord(
            key_id=key_id,
            key_hash=hash_key(key),
            name="test",
            team="research",
            role=role,
            models=models,
            limits=Limits(tpm=1000),
            **extra,  # type: ignore[arg-type]
        )
        await self.store.add(record)
        return key, record


@pytest.fixture
def keys() -> Keys:
    return Keys()


def chain(policy: AuthPolicy, terminal: Terminal) -> Handler:
    return build_chain([policy], terminal)


def key_policy(keys: Keys, **settings: object) -> AuthPolicy:
    return build_auth_policy(AuthSettings.model_validate(settings), keys.store, clock=keys.clock)


async def test_key_via_bearer_sets_the_principal(keys: Keys) -> None:
    key, record = await keys.issue()
    terminal = Terminal()
    reply = await chain(key_policy(keys), terminal)(
        make_exchange({"Authorization": f"Bearer {key}"})
    )
    assert reply.status == 200
    principal = terminal.seen[0]
    assert principal is not None
    assert (principal.subject, principal.team, principal.role) == (
        record.key_id,
        "research",
        Role.APP,
    )
    assert principal.limits == Limits(tpm=1000)
    assert principal.via == "key"


async def test_key_via_api_key_header(keys: Keys) -> None:
    key, record = await keys.issue()
    terminal = Terminal()
    await chain(key_policy(keys), terminal)(make_exchange({"api-key": key}))
    assert terminal.seen[0] is not None
    assert terminal.seen[0].subject == record.key_id


async def refused(
    policy: AuthPolicy, headers: dict[str, str], kind: type[GatewayError], **route: str
) -> GatewayError:
    terminal = Terminal()
    with pytest.raises(kind) as caught:
        await chain(policy, terminal)(make_exchange(headers, **route))
    assert terminal.seen == []
    for value in headers.values():
        secret = value.removeprefix("Bearer ")
        assert secret not in caught.value.message
    return caught.value


async def test_missing_credential_is_401_naming_the_headers(keys: Keys) -> None:
    error = await refused(key_policy(keys), {}, AuthenticationFailed)
    assert error.status == 401
    assert "Authorization: Bearer" in error.message
    assert "api-key" in error.message


async def test_unknown_key_is_401(keys: Keys) -> None:
    key, _ = generate_key()
    error = await refused(key_policy(keys), {"api-key": key}, AuthenticationFailed)
    assert error.message == "The API key is not valid."


async def test_non_gateway_credential_is_401_without_a_lookup(keys: Keys) -> None:
    error = await refused(key_policy(keys), {"api-key": "sk-openai-style"}, AuthenticationFailed)
    assert "starts with 'sg-'" in error.message


async def test_revoked_key_is_401(keys: Keys) -> None:
    key, record = await keys.issue()
    policy = key_policy(keys, key_cache_seconds=0)
    await chain(policy, Terminal())(make_exchange({"api-key": key}))
    await keys.store.revoke(record.key_id, NOW)
    error = await refused(policy, {"api-key": key}, AuthenticationFailed)
    assert "revoked" in error.message


async def test_revocation_takes_effect_within_the_cache_ttl(keys: Keys) -> None:
    key, record = await keys.issue()
    policy = key_policy(keys, key_cache_seconds=1.0)
    run = chain(policy, Terminal())
    await run(make_exchange({"api-key": key}))
    await keys.store.revoke(record.key_id, NOW)
    await run(make_exchange({"api-key": key}))  # still cached on this replica
    keys.clock.advance(1.0)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        await run(make_exchange({"api-key": key}))


async def test_invalidation_makes_revocation_immediate(keys: Keys) -> None:
    key, record = await keys.issue()
    policy = key_policy(keys)
    run = chain(policy, Terminal())
    await run(make_exchange({"api-key": key}))
    await keys.store.revoke(record.key_id, NOW)
    assert policy.authenticator is not None
    policy.authenticator.invalidate(hash_key(key))
    with pytest.raises(AuthenticationFailed, match="revoked"):
        await run(make_exchange({"api-key": key}))


async def test_scheduled_revocation_starts_at_its_time(keys: Keys) -> None:
    key, _ = await keys.issue(revoked_at=NOW + timedelta(seconds=10))
    run = chain(key_policy(keys, key_cache_seconds=0), Terminal())
    assert (await run(make_exchange({"api-key": key}))).status == 200
    keys.clock.advance(10)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        await run(make_exchange({"api-key": key}))


async def test_expired_key_is_401_naive_times_taken_as_utc(keys: Keys) -> None:
    naive_past = (NOW - timedelta(seconds=1)).replace(tzinfo=None)
    key, _ = await keys.issue(expires_at=naive_past)
    error = await refused(key_policy(keys), {"api-key": key}, AuthenticationFailed)
    assert "expired" in error.message
    later, _ = await keys.issue(expires_at=NOW + timedelta(hours=1))
    reply = await chain(key_policy(keys), Terminal())(make_exchange({"api-key": later}))
    assert reply.status == 200


async def test_model_outside_the_key_allow_list_is_403(keys: Keys) -> None:
    key, _ = await keys.issue(models=frozenset({"gpt-4o-mini", "o3"}))
    error = await refused(
        key_policy(keys), {"api-key": key}, PermissionDenied, model="gpt-4o", route="gpt-4o"
    )
    assert error.status == 403
    assert error.code == "permission_denied"
    assert "may not call the model 'gpt-4o'" in error.message
    assert "gpt-4o-mini, o3" in error.message


async def test_allow_list_matches_the_route_or_the_requested_name(keys: Keys) -> None:
    key, _ = await keys.issue(models=frozenset({"gpt-4o"}))
    run = chain(key_policy(keys), Terminal())
    via_alias = make_exchange({"api-key": key}, model="gpt-4o-deployment", route="gpt-4o")
    assert (await run(via_alias)).status == 200
    alias_key, _ = await keys.issue(models=frozenset({"llama"}))
    caught_all = make_exchange({"api-key": alias_key}, model="llama", route="*")
    assert (await run(caught_all)).status == 200


async def test_team_allow_list_restricts_every_key_of_the_team(keys: Keys) -> None:
    key, _ = await keys.issue()
    policy = key_policy(keys, teams={"research": {"models": ["gpt-4o-mini"]}})
    error = await refused(policy, {"api-key": key}, PermissionDenied, model="gpt-4o")
    assert "team 'research' may not call the model 'gpt-4o'" in error.message
    allowed = make_exchange({"api-key": key}, model="gpt-4o-mini", route="gpt-4o-mini")
    assert (await chain(policy, Terminal())(allowed)).status == 200


async def test_team_star_allows_everything(keys: Keys) -> None:
    key, _ = await keys.issue()
    policy = key_policy(keys, teams={"research": {"models": ["*"]}})
    assert (await chain(policy, Terminal())(make_exchange({"api-key": key}))).status == 200


async def test_operator_may_not_call_models(keys: Keys) -> None:
    key, _ = await keys.issue(role=Role.OPERATOR)
    error = await refused(key_policy(keys), {"api-key": key}, PermissionDenied)
    assert "role 'operator'" in error.message


async def test_admin_may_call_models(keys: Keys) -> None:
    key, _ = await keys.issue(role=Role.ADMIN, models=frozenset({"gpt-4o"}))
    reply = await chain(key_policy(keys), Terminal())(make_exchange({"api-key": key}))
    assert reply.status == 200


def test_authorize_rules_directly() -> None:
    app = Principal("s", "t", Role.APP, models=frozenset({"a"}))
    authorize(app, "a", "a", None)
    authorize(app, "x", "a", None)
    authorize(app, "a", "a", TeamRecord("t"))  # a team without a list allows every model
    with pytest.raises(PermissionDenied, match="This key may not"):
        authorize(app, "b", "b", None)
    token = Principal("s", "t", Role.APP, models=frozenset({"a"}), via="jwt")
    with pytest.raises(PermissionDenied, match="This token may not"):
        authorize(token, "b", "b", None)
    with pytest.raises(PermissionDenied, match="team 't'"):
        authorize(app, "a", "a", TeamRecord("t", frozenset({"z"})))


async def test_shadow_mode_logs_and_lets_denials_through(
    keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    key, record = await keys.issue(models=frozenset({"o3"}))
    policy = key_policy(keys, mode="shadow")
    terminal = Terminal()
    with caplog.at_level(logging.WARNING, "sluicegate.auth"):
        await chain(policy, terminal)(make_exchange({"api-key": key}))
        await chain(policy, terminal)(make_exchange({}))
        await chain(policy, terminal)(make_exchange({"api-key": "sg-bogus-key"}))
    assert terminal.seen[0] is not None
    assert terminal.seen[0].subject == record.key_id  # identified, allow-list not enforced
    assert terminal.seen[1] is not None
    assert terminal.seen[1].via == "anonymous"
    assert terminal.seen[1].role is Role.APP
    assert terminal.seen[2] == terminal.seen[1]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3
    assert all("shadow mode: would refuse request req-1" in m for m in messages)
    assert "(403)" in messages[0]
    assert "(401)" in messages[1]
    assert all(key not in m and "sg-bogus-key" not in m for m in messages)


async def test_enforce_mode_never_logs_the_credential(
    keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    key, _ = generate_key()
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationFailed):
        await chain(key_policy(keys), Terminal())(make_exchange({"api-key": key}))
    assert caplog.records
    assert all(
        key not in r.getMessage() and hash_key(key) not in r.getMessage() for r in caplog.records
    )


async def test_auth_off_yields_an_anonymous_admin(
    keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "sluicegate.auth"):
        policy = key_policy(keys, enabled=False, anonymous_team="lab")
    assert "AUTHENTICATION IS OFF" in caplog.text
    terminal = Terminal()
    await chain(policy, terminal)(make_exchange({}))
    assert terminal.seen == [Principal("anonymous", "lab", Role.ADMIN, via="anonymous")]


class BrokenStore(MemoryKeyStore):
    async def find_by_hash(self, key_hash: str) -> KeyRecord | None:
        raise ConnectionError(f"could not run query with parameter {key_hash}")


async def test_store_failure_is_503_and_logs_no_hash(caplog: pytest.LogCaptureFixture) -> None:
    key, _ = generate_key()
    policy = build_auth_policy(AuthSettings(), BrokenStore(), clock=ManualClock())
    with caplog.at_level(logging.ERROR, "sluicegate.auth"):
        error = await refused(policy, {"api-key": key}, ServiceUnavailable)
    assert error.status == 503
    assert "ConnectionError" in caplog.text
    assert hash_key(key) not in caplog.text


def test_enabled_without_any_credential_source_fails_at_start_up() -> None:
    with pytest.raises(ConfigError, match="neither a key store nor a JWT issuer"):
        build_auth_policy(AuthSettings(), None, clock=ManualClock())


async def test_jwt_through_the_policy(tmp_path: Path, keys: Keys) -> None:
    signer = Signer("rsa", "k1")
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(signer)))
    settings = {
        "jwt": [
            {
                "issuer": ISSUER,
                "audience": AUDIENCE,
                "jwks_file": str(path),
                "claims": {
                    "roles": {"Gateway.App": "app", "Gateway.Ops": "operator"},
                    "teams": {"group-research": "research"},
                    "models_by_role": {"app": ["gpt-4o-mini"]},
                },
            }
        ]
    }
    policy = key_policy(keys, **settings)
    terminal = Terminal()
    allowed = make_exchange(
        {"Authorization": f"Bearer {signer.token(claims())}"},
        model="gpt-4o-mini",
        route="gpt-4o-mini",
    )
    await chain(policy, terminal)(allowed)
    assert terminal.seen[0] == Principal(
        "user-42", "research", Role.APP, models=frozenset({"gpt-4o-mini"}), via="jwt"
    )
    denied = {"Authorization": f"Bearer {signer.token(claims())}"}
    error = await refused(policy, denied, PermissionDenied, model="gpt-4o")
    assert "This token may not call the model 'gpt-4o'" in error.message
    operator = {"Authorization": f"Bearer {signer.token(claims(roles=['Gateway.Ops']))}"}
    await refused(policy, operator, PermissionDenied)
    key, _ = await keys.issue()
    assert (await chain(policy, Terminal())(make_exchange({"api-key": key}))).status == 200
