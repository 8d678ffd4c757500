"""JWT verification against a JWKS file: what is accepted, and every way a token is refused."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from tests.unit.auth_tokens import (
    APP_ID,
    AUDIENCE,
    ISSUER,
    Signer,
    claims,
    hs256_with_public_key,
    jwks,
    none_token,
)

from sluicegate.config.auth import JwtIssuerSettings
from sluicegate.config.loader import ConfigError
from sluicegate.core.clock import ManualClock
from sluicegate.core.errors import AuthenticationFailed, PermissionDenied
from sluicegate.core.identity import Role
from sluicegate.policies.jwt_verify import JwtVerifier, build_jwt_verifier


@pytest.fixture(scope="module")
def rsa_signer() -> Signer:
    return Signer("rsa", "rsa-1")


@pytest.fixture(scope="module")
def ec_signer() -> Signer:
    return Signer("ec", "ec-1")


def write_jwks(path: Path, *signers: Signer) -> Path:
    path.write_text(json.dumps(jwks(*signers)))
    return path


def issuer_settings(path: Path, **extra: Any) -> JwtIssuerSettings:
    document: dict[str, Any] = {
        "issuer": ISSUER,
        "audience": [AUDIENCE, "api://other"],
        "jwks_file": str(path),
        "algorithms": ["RS256", "ES256"],
        "leeway_seconds": 60,
        "claims": {
            "roles": {"Gateway.App": "app", "Gateway.Admin": "admin"},
            "teams": {"group-research": "research"},
            "models_by_group": {"group-research": ["gpt-4o", "gpt-4o-mini"]},
        },
    }
    document.update(extra)
    return JwtIssuerSettings.model_validate(document)


@pytest.fixture
def verifier(tmp_path: Path, rsa_signer: Signer, ec_signer: Signer) -> JwtVerifier:
    path = write_jwks(tmp_path / "jwks.json", rsa_signer, ec_signer)
    built = build_jwt_verifier([issuer_settings(path)], ManualClock())
    assert built is not None
    return built


async def refused(verifier: JwtVerifier, token: str) -> AuthenticationFailed:
    with pytest.raises(AuthenticationFailed) as caught:
        await verifier.verify(token)
    error = caught.value
    assert error.status == 401
    assert error.code == "invalid_token"
    assert 'error="invalid_token"' in error.headers["WWW-Authenticate"]
    assert token not in error.message
    return error


@pytest.mark.parametrize("signer_name", ["rsa_signer", "ec_signer"])
async def test_valid_token_maps_to_a_principal(
    verifier: JwtVerifier, signer_name: str, request: pytest.FixtureRequest
) -> None:
    signer: Signer = request.getfixturevalue(signer_name)
    principal = await verifier.verify(signer.token(claims()))
    assert principal.subject == "user-42"
    assert principal.team == "research"
    assert principal.role is Role.APP
    assert principal.models == frozenset({"gpt-4o", "gpt-4o-mini"})
    assert principal.via == "jwt"


async def test_second_audience_is_accepted(verifier: JwtVerifier, rsa_signer: Signer) -> None:
    principal = await verifier.verify(rsa_signer.token(claims(aud=["api://other"])))
    assert principal.team == "research"


async def test_expired_token_is_refused(verifier: JwtVerifier, rsa_signer: Signer) -> None:
    past = int(time.time()) - 3600
    error = await refused(verifier, rsa_signer.token(claims(exp=past, iat=past - 60, nbf=None)))
    assert "expired" in error.message


async def test_small_clock_skew_is_tolerated(verifier: JwtVerifier, rsa_signer: Signer) -> None:
    now = int(time.time())
    principal = await verifier.verify(rsa_signer.token(claims(exp=now - 20, iat=now - 600)))
    assert principal.subject == "user-42"
    early = rsa_signer.token(claims(nbf=now + 20, iat=now + 20))
    assert (await verifier.verify(early)).subject == "user-42"


async def test_token_not_yet_valid_is_refused(verifier: JwtVerifier, rsa_signer: Signer) -> None:
    later = int(time.time()) + 3600
    error = await refused(verifier, rsa_signer.token(claims(nbf=later, exp=later + 600)))
    assert "not valid yet" in error.message


async def test_wrong_audience_is_refused(verifier: JwtVerifier, rsa_signer: Signer) -> None:
    error = await refused(verifier, rsa_signer.token(claims(aud="api://someone-else")))
    assert "audience" in error.message


async def test_wrong_issuer_is_refused(verifier: JwtVerifier, rsa_signer: Signer) -> None:
    error = await refused(verifier, rsa_signer.token(claims(iss="https://evil.example/v2.0")))
    assert "issuer" in error.message
    assert "evil" not in error.message


async def test_unknown_kid_is_refused(verifier: JwtVerifier) -> None:
    stranger = Signer("rsa", "not-published")
    error = await refused(verifier, stranger.token(claims()))
    assert "kid" in error.message


async def test_known_kid_with_a_foreign_key_fails_the_signature(
    verifier: JwtVerifier, rsa_signer: Signer
) -> None:
    forger = Signer("rsa", rsa_signer.kid)
    error = await refused(verifier, forger.token(claims()))
    assert "signature" in error.message


async def test_alg_none_is_refused(verifier: JwtVerifier, rsa_signer: Signer) -> None:
    error = await refused(verifier, none_token(claims(), rsa_signer.kid))
    assert "algorithm" in error.message


async def test_hs256_signed_with_the_public_key_is_refused(
    verifier: JwtVerifier, rsa_signer: Signer
) -> None:
    error = await refused(verifier, hs256_with_public_key(rsa_signer, claims()))
    assert "algorithm" in error.message


async def test_algorithm_outside_the_allow_list_is_refused(
    verifier: JwtVerifier, rsa_signer: Signer
) -> None:
    await refused(verifier, rsa_signer.token(claims(), alg="PS256"))


async def test_missing_expiry_is_refused(verifier: JwtVerifier, rsa_signer: Signer) -> None:
    error = await refused(verifier, rsa_signer.token(claims(exp=None)))
    assert "'exp'" in error.message


@pytest.mark.parametrize("token", ["a.b.c", "not-a-jwt.at.all", "eyJhbGciOiJSUzI1NiJ9.e30."])
async def test_malformed_tokens_are_refused(verifier: JwtVerifier, token: str) -> None:
    await refused(verifier, token)


async def test_tampered_payload_fails_the_signature(
    verifier: JwtVerifier, rsa_signer: Signer
) -> None:
    header, _, signature = rsa_signer.token(claims()).split(".")
    forged_payload = rsa_signer.token(claims(roles=["Gateway.Admin"])).split(".")[1]
    error = await refused(verifier, f"{header}.{forged_payload}.{signature}")
    assert "signature" in error.message


async def test_verified_token_without_a_mapped_role_is_forbidden(
    verifier: JwtVerifier, rsa_signer: Signer
) -> None:
    with pytest.raises(PermissionDenied, match="no role this gateway grants"):
        await verifier.verify(rsa_signer.token(claims(roles=["Something.Else"])))


async def test_app_id_stands_in_for_a_missing_subject(
    verifier: JwtVerifier, rsa_signer: Signer
) -> None:
    principal = await verifier.verify(rsa_signer.token(claims(sub=None)))
    assert principal.subject == APP_ID


async def test_rotation_in_the_file_is_picked_up(tmp_path: Path, rsa_signer: Signer) -> None:
    path = write_jwks(tmp_path / "jwks.json", rsa_signer)
    verifier = build_jwt_verifier([issuer_settings(path)], ManualClock())
    assert verifier is not None
    rotated = Signer("ec", "ec-rotated")
    await refused(verifier, rotated.token(claims()))
    write_jwks(path, rsa_signer, rotated)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert (await verifier.verify(rotated.token(claims()))).team == "research"
    assert (await verifier.verify(rsa_signer.token(claims()))).team == "research"


async def test_a_broken_rewrite_keeps_the_old_keys(tmp_path: Path, rsa_signer: Signer) -> None:
    path = write_jwks(tmp_path / "jwks.json", rsa_signer)
    verifier = build_jwt_verifier([issuer_settings(path)], ManualClock())
    assert verifier is not None
    path.write_text("{ half written")
    await refused(verifier, Signer("rsa", "new").token(claims()))
    assert (await verifier.verify(rsa_signer.token(claims()))).subject == "user-42"


def test_unusable_jwks_file_fails_at_start_up(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(ConfigError, match="cannot read the JWKS file"):
        build_jwt_verifier([issuer_settings(missing)], ManualClock())
    empty = tmp_path / "empty.json"
    empty.write_text('{"keys": []}')
    with pytest.raises(ConfigError, match="no signing key usable"):
        build_jwt_verifier([issuer_settings(empty)], ManualClock())


def test_no_issuers_means_no_verifier() -> None:
    assert build_jwt_verifier([], ManualClock()) is None


async def test_several_issuers_each_check_their_own_tokens(
    tmp_path: Path, rsa_signer: Signer, ec_signer: Signer
) -> None:
    first = write_jwks(tmp_path / "a.json", rsa_signer)
    second = write_jwks(tmp_path / "b.json", ec_signer)
    other_issuer = "https://idp.example.test"
    verifier = build_jwt_verifier(
        [
            issuer_settings(first),
            issuer_settings(
                second,
                issuer=other_issuer,
                claims={"default_role": "operator", "default_team": "ops"},
            ),
        ],
        ManualClock(),
    )
    assert verifier is not None
    principal = await verifier.verify(ec_signer.token(claims(iss=other_issuer)))
    assert (principal.team, principal.role) == ("ops", Role.OPERATOR)
    # The first issuer's key cannot vouch for the second issuer.
    await refused(verifier, rsa_signer.token(claims(iss=other_issuer)))
